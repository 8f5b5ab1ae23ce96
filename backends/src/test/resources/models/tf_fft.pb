
.
xPlaceholder*
dtype0*
shape:
8

rfft/ConstConst*
dtype0*
valueB:
=
rfft/fft_lengthConst*
dtype0*
valueB:
=
rfftRFFTxrfft/fft_length*
Treal0*
Tcomplex0
,
Abs
ComplexAbsrfft*

Tout0*
T0

yIdentityAbs*
T0"ª