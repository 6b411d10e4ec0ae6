// libjpeg and libpng report fatal errors by longjmp. Every setjmp lives in this file, so no
// jump ever crosses a Swift frame; Swift sees a status code and a message.
#include "cimage_codec.h"

#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <png.h>

int cimg_version(void) { return 2; }

enum { cimg_message_capacity = JMSG_LENGTH_MAX + 64 };

static void cimg_set_message(char *message, const char *text) {
  snprintf(message, cimg_message_capacity, "%s", text);
}

// MARK: libjpeg error manager shared by decoder and encoder.

typedef struct {
  struct jpeg_error_mgr base;
  jmp_buf jump;
  char message[cimg_message_capacity];
} cimg_jpeg_error;

static void cimg_jpeg_error_exit(j_common_ptr cinfo) {
  cimg_jpeg_error *error = (cimg_jpeg_error *)cinfo->err;
  (*cinfo->err->format_message)(cinfo, error->message);
  longjmp(error->jump, 1);
}

// Warnings (level -1) mean corrupt or truncated data ("Premature end of JPEG file"): libjpeg
// would fill the rest with grey and carry on. A training image like that is worse than none.
static void cimg_jpeg_emit_message(j_common_ptr cinfo, int level) {
  if (level < 0) cimg_jpeg_error_exit(cinfo);
}

static void cimg_jpeg_error_init(cimg_jpeg_error *error) {
  jpeg_std_error(&error->base);
  error->base.error_exit = cimg_jpeg_error_exit;
  error->base.emit_message = cimg_jpeg_emit_message;
  error->message[0] = 0;
}

// MARK: JPEG decoder

struct cimg_jpeg_decoder {
  struct jpeg_decompress_struct cinfo;
  cimg_jpeg_error error;
  struct jpeg_progress_mgr progress;
  int started;
};

// Each progressive scan is a pass over the whole coefficient buffer, so a few KB of hostile input
// holding thousands of tiny scans would take minutes. Encoders write about 10 (mozjpeg up to ~60).
enum { cimg_jpeg_max_scans = 100 };

static void cimg_jpeg_progress(j_common_ptr cinfo) {
  if (!cinfo->is_decompressor) return;
  if (((j_decompress_ptr)cinfo)->input_scan_number <= cimg_jpeg_max_scans) return;
  cimg_jpeg_error *error = (cimg_jpeg_error *)cinfo->err;
  snprintf(error->message, cimg_message_capacity, "more than %d progressive scans",
           (int)cimg_jpeg_max_scans);
  longjmp(error->jump, 1);
}

cimg_jpeg_decoder *cimg_jpeg_decoder_create(void) {
  cimg_jpeg_decoder *volatile decoder = calloc(1, sizeof(cimg_jpeg_decoder));
  if (!decoder) return NULL;
  cimg_jpeg_error_init(&decoder->error);
  decoder->cinfo.err = &decoder->error.base;
  if (setjmp(decoder->error.jump)) {
    free(decoder);
    return NULL;
  }
  jpeg_create_decompress(&decoder->cinfo);
  decoder->progress.progress_monitor = cimg_jpeg_progress;
  decoder->cinfo.progress = &decoder->progress;
  return decoder;
}

void cimg_jpeg_decoder_destroy(cimg_jpeg_decoder *decoder) {
  if (!decoder) return;
  jpeg_destroy_decompress(&decoder->cinfo);
  free(decoder);
}

const char *cimg_jpeg_decoder_message(const cimg_jpeg_decoder *decoder) {
  return decoder->error.message;
}

int cimg_jpeg_decoder_start(cimg_jpeg_decoder *decoder, const uint8_t *data, size_t length,
                            int *width, int *height) {
  decoder->error.message[0] = 0;
  if (decoder->started) {
    jpeg_abort_decompress(&decoder->cinfo);
    decoder->started = 0;
  }
  if (length == 0) {
    cimg_set_message(decoder->error.message, "empty JPEG data");
    return 1;
  }
  if (setjmp(decoder->error.jump)) {
    jpeg_abort_decompress(&decoder->cinfo);
    return 1;
  }
  jpeg_mem_src(&decoder->cinfo, data, (unsigned long)length);
  jpeg_read_header(&decoder->cinfo, TRUE);
  decoder->cinfo.out_color_space = JCS_RGB;
  decoder->cinfo.dct_method = JDCT_ISLOW;
  jpeg_calc_output_dimensions(&decoder->cinfo);
  decoder->started = 1;
  *width = (int)decoder->cinfo.output_width;
  *height = (int)decoder->cinfo.output_height;
  return 0;
}

int cimg_jpeg_decoder_finish(cimg_jpeg_decoder *decoder, uint8_t *pixels, size_t capacity,
                             int fancy_upsampling) {
  return cimg_jpeg_decoder_finish_rows(decoder, pixels, capacity, fancy_upsampling, 0, INT_MAX);
}

int cimg_jpeg_decoder_finish_rows(cimg_jpeg_decoder *decoder, uint8_t *pixels, size_t capacity,
                                  int fancy_upsampling, int first, int end) {
  struct jpeg_decompress_struct *cinfo = &decoder->cinfo;
  if (!decoder->started) {
    cimg_set_message(decoder->error.message, "cimg_jpeg_decoder_finish before start");
    return 1;
  }
  decoder->started = 0;
  if (setjmp(decoder->error.jump)) {
    jpeg_abort_decompress(cinfo);
    return 1;
  }
  cinfo->do_fancy_upsampling = fancy_upsampling ? TRUE : FALSE;
  jpeg_start_decompress(cinfo);
  size_t stride = (size_t)cinfo->output_width * 3;
  if (cinfo->output_components != 3 || capacity < stride * cinfo->output_height) {
    cimg_set_message(decoder->error.message, "JPEG output buffer too small");
    jpeg_abort_decompress(cinfo);
    return 1;
  }
  const JDIMENSION height = cinfo->output_height;
  const JDIMENSION stop = end < 0 ? 0 : ((JDIMENSION)end < height ? (JDIMENSION)end : height);
  const JDIMENSION start = first < 0 ? 0 : ((JDIMENSION)first < stop ? (JDIMENSION)first : stop);
  if (start > 0) jpeg_skip_scanlines(cinfo, start);
  JSAMPROW rows[16];
  while (cinfo->output_scanline < stop) {
    JDIMENSION row = cinfo->output_scanline;
    JDIMENSION count = stop - row;
    if (count > 16) count = 16;
    for (JDIMENSION i = 0; i < count; i++) rows[i] = pixels + (size_t)(row + i) * stride;
    jpeg_read_scanlines(cinfo, rows, count);
  }
  // Stopping early: jpeg_finish_decompress would insist on reading the remaining rows.
  if (stop < height)
    jpeg_abort_decompress(cinfo);
  else
    jpeg_finish_decompress(cinfo);
  return 0;
}

// MARK: JPEG encoder

struct cimg_jpeg_encoder {
  struct jpeg_compress_struct cinfo;
  cimg_jpeg_error error;
  unsigned char *buffer;
  unsigned long capacity;
};

cimg_jpeg_encoder *cimg_jpeg_encoder_create(void) {
  cimg_jpeg_encoder *volatile encoder = calloc(1, sizeof(cimg_jpeg_encoder));
  if (!encoder) return NULL;
  cimg_jpeg_error_init(&encoder->error);
  encoder->cinfo.err = &encoder->error.base;
  if (setjmp(encoder->error.jump)) {
    free(encoder);
    return NULL;
  }
  jpeg_create_compress(&encoder->cinfo);
  return encoder;
}

void cimg_jpeg_encoder_destroy(cimg_jpeg_encoder *encoder) {
  if (!encoder) return;
  jpeg_destroy_compress(&encoder->cinfo);
  free(encoder->buffer);
  free(encoder);
}

const char *cimg_jpeg_encoder_message(const cimg_jpeg_encoder *encoder) {
  return encoder->error.message;
}

int cimg_jpeg_encoder_encode(cimg_jpeg_encoder *encoder, const uint8_t *pixels, int width,
                             int height, int quality, const uint8_t **output,
                             size_t *output_length) {
  struct jpeg_compress_struct *cinfo = &encoder->cinfo;
  encoder->error.message[0] = 0;
  if (width <= 0 || height <= 0 || quality < 1 || quality > 100) {
    cimg_set_message(encoder->error.message, "JPEG encode: bad size or quality");
    return 1;
  }
  if (!encoder->buffer) {
    // A 320x160 frame is ~15 KB; start big enough that libjpeg rarely has to grow it.
    encoder->capacity = 64 * 1024;
    encoder->buffer = malloc(encoder->capacity);
    if (!encoder->buffer) return 1;
  }
  // jpeg_mem_dest may replace the buffer when it grows; the old one stays ours to free.
  unsigned char *volatile buffer = encoder->buffer;
  unsigned long size = encoder->capacity;
  unsigned char *target = buffer;
  if (setjmp(encoder->error.jump)) {
    jpeg_abort_compress(cinfo);
    if (target != buffer) free(target);
    return 1;
  }
  jpeg_mem_dest(cinfo, &target, &size);
  cinfo->image_width = (JDIMENSION)width;
  cinfo->image_height = (JDIMENSION)height;
  cinfo->input_components = 3;
  cinfo->in_color_space = JCS_RGB;
  jpeg_set_defaults(cinfo);  // YCbCr with 2x2 luma sampling: 4:2:0, baseline Huffman
  jpeg_set_quality(cinfo, quality, TRUE);
  cinfo->dct_method = JDCT_ISLOW;
  jpeg_start_compress(cinfo, TRUE);
  size_t stride = (size_t)width * 3;
  JSAMPROW rows[16];
  while (cinfo->next_scanline < cinfo->image_height) {
    JDIMENSION first = cinfo->next_scanline;
    JDIMENSION count = cinfo->image_height - first;
    if (count > 16) count = 16;
    for (JDIMENSION i = 0; i < count; i++) rows[i] = (JSAMPROW)(pixels + (size_t)(first + i) * stride);
    jpeg_write_scanlines(cinfo, rows, count);
  }
  jpeg_finish_compress(cinfo);
  if (target != buffer) {
    free(buffer);
    encoder->buffer = target;
    encoder->capacity = size;
  }
  *output = encoder->buffer;
  *output_length = (size_t)size;
  return 0;
}

// MARK: PNG codec

// Largest chunk libpng may buffer (a 256-entry palette is 768 bytes; IDAT is streamed), and the
// largest decoded image (256 MB, the JPEG decoder's default bound).
enum { cimg_png_max_chunk = 1 << 20 };
static const size_t cimg_png_max_pixel_bytes = (size_t)1 << 28;

struct cimg_png_codec {
  char message[cimg_message_capacity];
  uint8_t *pixels;
  size_t pixels_capacity;
  uint8_t *output;
  size_t output_length;
  size_t output_capacity;
  png_bytep *rows;
  size_t rows_capacity;
  // Read cursor for decoding from memory.
  const uint8_t *input;
  size_t input_length;
  size_t input_offset;
};

cimg_png_codec *cimg_png_codec_create(void) { return calloc(1, sizeof(cimg_png_codec)); }

void cimg_png_codec_destroy(cimg_png_codec *codec) {
  if (!codec) return;
  free(codec->pixels);
  free(codec->output);
  free(codec->rows);
  free(codec);
}

const char *cimg_png_codec_message(const cimg_png_codec *codec) { return codec->message; }

static void cimg_png_error(png_structp png, png_const_charp text) {
  cimg_png_codec *codec = png_get_error_ptr(png);
  cimg_set_message(codec->message, text);
  png_longjmp(png, 1);
}

static void cimg_png_warning(png_structp png, png_const_charp text) {
  (void)png;
  (void)text;  // benign (e.g. unknown chunks); data errors arrive through cimg_png_error
}

static void cimg_png_read(png_structp png, png_bytep out, png_size_t count) {
  cimg_png_codec *codec = png_get_io_ptr(png);
  if (codec->input_length - codec->input_offset < count) png_error(png, "truncated PNG data");
  memcpy(out, codec->input + codec->input_offset, count);
  codec->input_offset += count;
}

static int cimg_png_reserve(void **buffer, size_t *capacity, size_t needed) {
  if (needed <= *capacity) return 1;
  void *grown = realloc(*buffer, needed);
  if (!grown) return 0;
  *buffer = grown;
  *capacity = needed;
  return 1;
}

static int cimg_png_reserve_rows(cimg_png_codec *codec, size_t height) {
  size_t bytes = codec->rows_capacity * sizeof(png_bytep);
  void *rows = codec->rows;
  if (!cimg_png_reserve(&rows, &bytes, height * sizeof(png_bytep))) return 0;
  codec->rows = rows;
  codec->rows_capacity = bytes / sizeof(png_bytep);
  return 1;
}

int cimg_png_decode(cimg_png_codec *codec, const uint8_t *data, size_t length, int *width,
                    int *height, const uint8_t **pixels) {
  codec->message[0] = 0;
  if (length < 8 || png_sig_cmp(data, 0, 8) != 0) {
    cimg_set_message(codec->message, "not a PNG file (bad signature)");
    return 1;
  }
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, codec, cimg_png_error,
                                           cimg_png_warning);
  if (!png) return 1;
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, info ? &info : NULL, NULL);
    if (!codec->message[0]) cimg_set_message(codec->message, "PNG decode failed");
    return 1;
  }
  codec->input = data;
  codec->input_length = length;
  codec->input_offset = 0;
  png_set_read_fn(png, codec, cimg_png_read);
  png_set_user_limits(png, 16384, 16384);  // a corrupt header must not make us allocate gigabytes
  // Text, ICC profiles and other ancillary chunks are never used, and libpng would buffer (and
  // inflate) each whole: skip them unread, and cap any chunk libpng still has to hold in memory.
  static const png_byte skipped[] = "iCCP\0iTXt\0tEXt\0zTXt\0sPLT\0eXIf\0pCAL\0sCAL\0hIST\0tIME\0bKGD";
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, 0);
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, skipped, (int)(sizeof skipped / 5));
  png_set_chunk_malloc_max(png, cimg_png_max_chunk);
  png_read_info(png, info);
  png_uint_32 w = png_get_image_width(png, info);
  png_uint_32 h = png_get_image_height(png, info);
  int color = png_get_color_type(png, info);
  png_set_expand(png);  // palette -> RGB, grey < 8 bits -> 8 bits, tRNS -> alpha
  png_set_strip_16(png);
  if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
  png_set_strip_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  size_t stride = png_get_rowbytes(png, info);
  if (stride != (size_t)w * 3) png_error(png, "unexpected PNG row layout after conversion");
  if (stride * h > cimg_png_max_pixel_bytes) png_error(png, "image larger than allowed");
  void *buffer = codec->pixels;
  if (!cimg_png_reserve(&buffer, &codec->pixels_capacity, stride * h)) png_error(png, "out of memory");
  codec->pixels = buffer;
  if (!cimg_png_reserve_rows(codec, h)) png_error(png, "out of memory");
  for (png_uint_32 y = 0; y < h; y++) codec->rows[y] = codec->pixels + (size_t)y * stride;
  png_read_image(png, codec->rows);
  png_read_end(png, NULL);
  png_destroy_read_struct(&png, &info, NULL);
  *width = (int)w;
  *height = (int)h;
  *pixels = codec->pixels;
  return 0;
}

static void cimg_png_write(png_structp png, png_bytep data, png_size_t count) {
  cimg_png_codec *codec = png_get_io_ptr(png);
  size_t needed = codec->output_length + count;
  if (needed > codec->output_capacity) {
    size_t grown = codec->output_capacity ? codec->output_capacity * 2 : 64 * 1024;
    while (grown < needed) grown *= 2;
    void *buffer = codec->output;
    if (!cimg_png_reserve(&buffer, &codec->output_capacity, grown)) png_error(png, "out of memory");
    codec->output = buffer;
  }
  memcpy(codec->output + codec->output_length, data, count);
  codec->output_length += count;
}

static void cimg_png_flush(png_structp png) { (void)png; }

int cimg_png_encode(cimg_png_codec *codec, const uint8_t *pixels, int width, int height,
                    int channels, int compression, const uint8_t **output, size_t *output_length) {
  codec->message[0] = 0;
  int color;
  switch (channels) {
    case 1: color = PNG_COLOR_TYPE_GRAY; break;
    case 3: color = PNG_COLOR_TYPE_RGB; break;
    case 4: color = PNG_COLOR_TYPE_RGB_ALPHA; break;
    default:
      cimg_set_message(codec->message, "PNG encode: channels must be 1, 3 or 4");
      return 1;
  }
  if (width <= 0 || height <= 0) {
    cimg_set_message(codec->message, "PNG encode: empty image");
    return 1;
  }
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, codec, cimg_png_error,
                                            cimg_png_warning);
  if (!png) return 1;
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, info ? &info : NULL);
    if (!codec->message[0]) cimg_set_message(codec->message, "PNG encode failed");
    return 1;
  }
  codec->output_length = 0;
  png_set_write_fn(png, codec, cimg_png_write, cimg_png_flush);
  png_set_compression_level(png, compression < 0 ? 6 : (compression > 9 ? 9 : compression));
  png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, color, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  if (!cimg_png_reserve_rows(codec, (size_t)height)) png_error(png, "out of memory");
  size_t stride = (size_t)width * (size_t)channels;
  for (int y = 0; y < height; y++) codec->rows[y] = (png_bytep)(pixels + (size_t)y * stride);
  png_write_image(png, codec->rows);
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  *output = codec->output;
  *output_length = codec->output_length;
  return 0;
}
