#ifndef CIMAGE_CODEC_H
#define CIMAGE_CODEC_H
#include <stddef.h>
#include <stdint.h>
// JPEG and PNG codecs over libjpeg-turbo and libpng. Their errors longjmp, so the setjmp
// error paths live here in C and come back to Swift as a status code (0 = ok) and a message.
// Each codec object is reusable (buffers and library state survive between images) and must be
// used by one thread at a time.

int cimg_version(void);

// MARK: JPEG decoding. Images come out as interleaved RGB, 3 bytes per pixel, rows top to bottom.
typedef struct cimg_jpeg_decoder cimg_jpeg_decoder;
cimg_jpeg_decoder *cimg_jpeg_decoder_create(void);
void cimg_jpeg_decoder_destroy(cimg_jpeg_decoder *decoder);
// Reads the header of `data`; sets the image size. Must precede cimg_jpeg_decoder_finish.
int cimg_jpeg_decoder_start(cimg_jpeg_decoder *decoder, const uint8_t *data, size_t length,
                            int *width, int *height);
// Decodes the image started above into `pixels` (capacity bytes, at least width*height*3).
// fancy_upsampling 1 = libjpeg's smooth (triangle) chroma upsampling as OpenCV and Pillow use.
int cimg_jpeg_decoder_finish(cimg_jpeg_decoder *decoder, uint8_t *pixels, size_t capacity,
                             int fancy_upsampling);
// The same for rows first..<end only (clamped to the image): rows above are skipped with
// jpeg_skip_scanlines (entropy-decoded, not transformed), rows below are not decoded; both keep
// what `pixels` held. The rows written are the same bytes a full decode writes there.
int cimg_jpeg_decoder_finish_rows(cimg_jpeg_decoder *decoder, uint8_t *pixels, size_t capacity,
                                  int fancy_upsampling, int first, int end);
// The last error, or "" after success.
const char *cimg_jpeg_decoder_message(const cimg_jpeg_decoder *decoder);

// MARK: JPEG encoding: baseline, YCbCr 4:2:0 (what Unity's EncodeToJPG writes).
typedef struct cimg_jpeg_encoder cimg_jpeg_encoder;
cimg_jpeg_encoder *cimg_jpeg_encoder_create(void);
void cimg_jpeg_encoder_destroy(cimg_jpeg_encoder *encoder);
// Encodes RGB `pixels` (width*height*3); on success *output/*output_length point at the
// encoder's own buffer, valid until its next use.
int cimg_jpeg_encoder_encode(cimg_jpeg_encoder *encoder, const uint8_t *pixels, int width,
                             int height, int quality, const uint8_t **output,
                             size_t *output_length);
const char *cimg_jpeg_encoder_message(const cimg_jpeg_encoder *encoder);

// MARK: PNG. Decoding expands palettes, grey and 16-bit, and drops alpha: always 8-bit RGB.
typedef struct cimg_png_codec cimg_png_codec;
cimg_png_codec *cimg_png_codec_create(void);
void cimg_png_codec_destroy(cimg_png_codec *codec);
// Decodes into the codec's own buffer (*pixels, width*height*3 bytes, valid until next use).
int cimg_png_decode(cimg_png_codec *codec, const uint8_t *data, size_t length, int *width,
                    int *height, const uint8_t **pixels);
// Encodes 8-bit pixels with `channels` 1 (grey), 3 (RGB) or 4 (RGBA); compression 0...9.
int cimg_png_encode(cimg_png_codec *codec, const uint8_t *pixels, int width, int height,
                    int channels, int compression, const uint8_t **output, size_t *output_length);
const char *cimg_png_codec_message(const cimg_png_codec *codec);
#endif
