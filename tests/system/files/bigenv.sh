# An environment and arguments of 60,000 bytes each through exec (Linux
# takes up to 128 KiB a string): the new program sees them whole.
x=$(head -c 60000 /dev/zero | tr '\0' a)
export X="$x"
/bin/sh -c 'echo env-${#X} arg-${#1}' sh "$x"
