#ifndef CIMAGE_CODEC_H
#define CIMAGE_CODEC_H
#include <stddef.h>
#include <stdint.h>
// JPEG and PNG codecs over libjpeg-turbo and libpng. Their errors longjmp, so the setjmp
// error paths live here in C and come back to Swift as a status code and a message.
int cimg_version(void);
#endif
