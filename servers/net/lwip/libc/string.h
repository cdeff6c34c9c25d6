/* lwIP's <string.h>: the few functions it uses, from lib/string. */
#include <string/kstring.h>
