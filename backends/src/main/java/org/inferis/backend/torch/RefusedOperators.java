package org.inferis.backend.torch;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.inferis.backend.BackendException;

/**
 * Refuses TorchScript code that can reach libtorch's operators a client may not use, checked on the text before libtorch
 * sees it (an archive's {@code __setstate__} runs while it loads), inside strings and comments too, so that no
 * difference between this reading and libtorch's lexer lets a call through:
 * <ul>
 * <li>the server's files: {@code torch.from_file} maps any file the process may open (a shared mapping writes back to
 * it), {@code torch.save} writes one;</li>
 * <li>operators looked up by a string, which can be spelt in pieces: {@code getattr} on {@code torch} or {@code ops};</li>
 * <li>operators that trust their arguments: libtorch's private ({@code _}-named) operators skip the checks of the public
 * ones ({@code torch._reshape_alias(x, [4], [10**8])} reads far outside {@code x} and killed the process), and sparse
 * tensors are built without checking their indices ({@code torch.sparse_coo_tensor(...).to_dense()} wrote outside its
 * output). Refused: the operators that build or resize sparse tensors, the private operators but those that
 * TorchScript prints for Python constructs and that the stock {@code torch.nn} modules compile to, and the private
 * and public tensor methods that hand out a sparse or nested tensor's own index tensors ({@code s.indices()}, not
 * {@code topk(...).indices}), and the keyword {@code unsafe=}
 * ({@code torch.segment_reduce(x, "sum", lengths=l, unsafe=True)} with lengths past {@code x} killed the process).</li>
 * </ul>
 */
final class RefusedOperators {
    /** What may stand between two tokens: white space, a line continuation, a comment inside brackets. */
    private static final String GAP = "(?:\\s|\\\\|#[^\\n]*)*";
    private static final Pattern REACHES = Pattern.compile("\\b(from_file)\\b"
            + "|\\." + GAP + "(save)\\b"
            + "|\\b(getattr)" + GAP + "\\(" + GAP + "(?:\\(" + GAP + ")*(?:torch|ops)\\b"
            + "|\\b_?(sparse_(?:coo|csr|csc|bsr|bsc|compressed)_tensor|to_sparse\\w*|sparse_mask|sparse_resize\\w*"
            + "|sparse_sampled_addmm)\\b"
            + "|\\b(?:torch|ops" + GAP + "\\." + GAP + "\\w+)" + GAP + "\\." + GAP + "(_[A-Za-z]\\w*)"
            + "|\\." + GAP + "(_indices|_values|_coalesced_|_nested_tensor_size|_nested_tensor_strides"
            + "|_nested_tensor_storage_offsets|_philox_normal_|_philox_uniform_"
            + "|(?:crow_|col_|ccol_|row_)?indices(?=" + GAP + "\\())\\b"
            + "|\\b(unsafe)" + GAP + "=(?!=)");
    /**
     * Private operators that pass: TorchScript's own spellings of Python constructs, and what the stock modules of
     * torch.nn (2.x) compile to, scripted or traced (convolutions, attention and transformer layers, upsampling).
     */
    private static final Set<String> ALLOWED_PRIVATE = Set.of("_set_item", "_list_to_tensor", "_tensor_to_list",
            "_unwrap_optional", "_get_tracing_state", "_infer_size", "_assert_async", "_assert_scalar",
            "_size_if_not_equal", "_has_compatible_shallow_copy_type", "_get_cpu_capability", "_nnpack_available",
            "_use_cudnn_rnn_flatten_weight", "_pad_enum", "_shape_as_tensor", "_dim_arange",
            "_convolution", "_convolution_mode", "_native_multi_head_attention", "_nested_tensor_from_mask",
            "_nested_tensor_from_mask_left_aligned", "_transformer_encoder_layer_fwd", "_upsample_bicubic2d_aa",
            "_upsample_bilinear2d_aa", "_upsample_lanczos2d_aa", "_upsample_nearest_exact1d",
            "_upsample_nearest_exact2d", "_upsample_nearest_exact3d", "_pack_padded_sequence", "_pad_packed_sequence",
            "_softmax", "_log_softmax", "_to_copy", "_weight_norm", "_aminmax", "_unique", "_unique2");

    private RefusedOperators() {
    }

    /** Refuses a model's pickle that rebuilds a sparse tensor: its indices come unchecked from the archive. */
    static void checkPickle(byte[] pickle, String where) throws BackendException {
        if (new String(pickle, StandardCharsets.ISO_8859_1).contains("_rebuild_sparse_tensor")) {
            throw new BackendException(where + " holds a sparse tensor, whose indices libtorch does not check; "
                    + "Inferis refuses it");
        }
    }

    /** @param where the script or archive file named in the error */
    static void check(String source, String where) throws BackendException {
        Matcher matcher = REACHES.matcher(source);
        while (matcher.find()) {
            String what;
            if (matcher.group(1) != null) {
                what = "torch.from_file, which opens files on the server";
            } else if (matcher.group(2) != null) {
                what = "torch.save, which writes files on the server";
            } else if (matcher.group(3) != null) {
                what = "getattr on torch or ops, which can reach operators that open files on the server";
            } else if (matcher.group(4) != null) {
                what = matcher.group(4) + ", which builds sparse tensors, whose indices libtorch does not check";
            } else if (matcher.group(5) != null) {
                if (ALLOWED_PRIVATE.contains(matcher.group(5))) {
                    continue;
                }
                what = "the private operator " + matcher.group(5) + ", which trusts its arguments";
            } else if (matcher.group(6) != null) {
                what = matcher.group(6) + ", which hands out a tensor's own index tensors";
            } else {
                what = "unsafe=, with which segment_reduce skips its checks";
            }
            throw new BackendException(where + " uses " + what + "; Inferis refuses it");
        }
    }
}
