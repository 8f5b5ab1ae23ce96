
3
in_floatPlaceholder*
shape:*
dtype0
(
	out_floatIdentityin_float*
T0
4
	in_doublePlaceholder*
shape:*
dtype0
*

out_doubleIdentity	in_double*
T0
5

in_float16Placeholder*
shape:*
dtype0
,
out_float16Identity
in_float16*
T0
6
in_bfloat16Placeholder*
shape:*
dtype0
.
out_bfloat16Identityin_bfloat16*
T0
2
in_int8Placeholder*
shape:*
dtype0
&
out_int8Identityin_int8*
T0
3
in_int16Placeholder*
shape:*
dtype0
(
	out_int16Identityin_int16*
T0
3
in_int32Placeholder*
shape:*
dtype0
(
	out_int32Identityin_int32*
T0
3
in_int64Placeholder*
shape:*
dtype0	
(
	out_int64Identityin_int64*
T0	
3
in_uint8Placeholder*
shape:*
dtype0
(
	out_uint8Identityin_uint8*
T0
4
	in_uint16Placeholder*
shape:*
dtype0
*

out_uint16Identity	in_uint16*
T0
2
in_boolPlaceholder*
shape:*
dtype0

&
out_boolIdentityin_bool*
T0

4
	in_stringPlaceholder*
shape:*
dtype0
*

out_stringIdentity	in_string*
T0"ª