#include "cimage_codec.h"
int cimg_version(void) { return 1; }
