

aPlaceholder*
dtype0

outfa4
2

f
x
y
againfx"
y	again:y:0