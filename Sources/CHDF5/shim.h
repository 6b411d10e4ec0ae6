#ifndef CHDF5_SHIM_H
#define CHDF5_SHIM_H
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>

// H5T_NATIVE_*, H5F_ACC_*, H5P_DEFAULT and H5S_UNLIMITED are macros (some expand to function
// calls that open the library), so Swift cannot import them: expose each as a static inline.
static inline hid_t chdf5_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t chdf5_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t chdf5_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t chdf5_native_int8(void) { return H5T_NATIVE_INT8; }
static inline hid_t chdf5_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t chdf5_native_uint32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t chdf5_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t chdf5_native_uint64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t chdf5_c_s1(void) { return H5T_C_S1; }
static inline hid_t chdf5_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t chdf5_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t chdf5_std_u8le(void) { return H5T_STD_U8LE; }
static inline hid_t chdf5_std_i8le(void) { return H5T_STD_I8LE; }
static inline hid_t chdf5_std_u32le(void) { return H5T_STD_U32LE; }
static inline hid_t chdf5_std_u64le(void) { return H5T_STD_U64LE; }
static inline hid_t chdf5_std_i32le(void) { return H5T_STD_I32LE; }
static inline hid_t chdf5_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t chdf5_p_default(void) { return H5P_DEFAULT; }
static inline hid_t chdf5_p_file_create(void) { return H5P_FILE_CREATE; }
static inline hid_t chdf5_p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t chdf5_p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t chdf5_p_dataset_access(void) { return H5P_DATASET_ACCESS; }
static inline hid_t chdf5_p_dataset_xfer(void) { return H5P_DATASET_XFER; }
static inline hid_t chdf5_p_group_create(void) { return H5P_GROUP_CREATE; }
static inline hid_t chdf5_p_link_create(void) { return H5P_LINK_CREATE; }
static inline hid_t chdf5_s_all(void) { return H5S_ALL; }
static inline hsize_t chdf5_s_unlimited(void) { return H5S_UNLIMITED; }
static inline unsigned chdf5_f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned chdf5_f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned chdf5_f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned chdf5_f_acc_excl(void) { return H5F_ACC_EXCL; }
static inline size_t chdf5_variable(void) { return H5T_VARIABLE; }

// Turn off HDF5's automatic error-stack printing to stderr; errors become Swift throws instead.
static inline herr_t chdf5_silence_errors(void) { return H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
static inline int chdf5_close_strong(void) { return H5F_CLOSE_STRONG; }

// Walks the current error stack and writes "<outermost description>: <innermost description>"
// into buf (empty if the stack is empty), then clears the stack.
typedef struct { char *buf; size_t len; char inner[256]; } chdf5_error_walk_t;
static herr_t chdf5_error_walk_step(unsigned n, const H5E_error2_t *err, void *data) {
  chdf5_error_walk_t *w = (chdf5_error_walk_t *)data;
  const char *desc = (err->desc && err->desc[0]) ? err->desc : "(no description)";
  if (n == 0) {
    snprintf(w->inner, sizeof w->inner, "%s", desc);
    snprintf(w->buf, w->len, "%s", desc);
  } else {
    snprintf(w->buf, w->len, "%s: %s", desc, w->inner);
  }
  return 0;
}
static inline void chdf5_error_message(char *buf, size_t len) {
  if (len == 0) return;
  buf[0] = 0;
  chdf5_error_walk_t w = {buf, len, {0}};
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, chdf5_error_walk_step, &w);
  H5Eclear2(H5E_DEFAULT);
}

// Closes every dataset, group, named datatype and attribute still open in `file` (this file id's
// own objects only), so that an H5Fclose that then fails leaves no object ids behind: HDF5 would
// otherwise keep them with their file's structures freed, and the next strong close of any file
// (or the library's teardown) dereferences them. Returns how many closes failed.
static inline int chdf5_close_file_objects(hid_t file) {
  const unsigned types = H5F_OBJ_DATASET | H5F_OBJ_GROUP | H5F_OBJ_DATATYPE | H5F_OBJ_ATTR | H5F_OBJ_LOCAL;
  ssize_t count = H5Fget_obj_count(file, types);
  if (count <= 0) return count < 0 ? 1 : 0;
  hid_t *ids = (hid_t *)malloc((size_t)count * sizeof(hid_t));
  if (ids == NULL) return 1;
  ssize_t got = H5Fget_obj_ids(file, types, (size_t)count, ids);
  int failed = got < 0 ? 1 : 0;
  for (ssize_t i = 0; i < got; i++) {
    herr_t status;
    switch (H5Iget_type(ids[i])) {
      case H5I_DATASET: status = H5Dclose(ids[i]); break;
      case H5I_GROUP: status = H5Gclose(ids[i]); break;
      case H5I_DATATYPE: status = H5Tclose(ids[i]); break;
      case H5I_ATTR: status = H5Aclose(ids[i]); break;
      default: status = 0; break;
    }
    if (status < 0) failed++;
  }
  free(ids);
  return failed;
}

#endif
