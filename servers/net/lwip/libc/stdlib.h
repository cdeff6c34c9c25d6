/* lwIP's <stdlib.h>: atoi (netif_find), from lib/string. */
#include <string/kstring.h>
