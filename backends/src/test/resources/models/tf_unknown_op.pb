

aPlaceholder*
dtype0

outNoSuchOpInTensorFlowa