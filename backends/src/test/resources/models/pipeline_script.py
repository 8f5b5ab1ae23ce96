def pre(tensors: List[Tensor], keys: List[str], args: List[str]):
    image = tensors[0].float() / 255.0
    gray = image.mean(dim=2)
    return (gray - 0.5).unsqueeze(0).unsqueeze(0)

def post(tensors: List[Tensor], keys: List[str], args: List[str]):
    return tensors[0].argmax(dim=1)
