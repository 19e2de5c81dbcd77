/*
 * calozoo's stdio guard: sends file descriptor 2 (stderr) to a file while the native TensorFlow
 * library loads, and puts it back afterwards. TensorFlow 2.21 writes start-up lines (absl's
 * "WARNING: All log messages before absl::InitializeLog() ..." and "oneDNN custom operations are
 * on ...") straight to fd 2 before its log level (TF_CPP_MIN_LOG_LEVEL) applies; Node.js has no
 * dup2, hence this small N-API addon. Built by tools/native/setup-native.mjs next to tfjs-node's
 * binding; used by @calozoo/core's device layer (select-tf.ts) when it is present.
 *
 *   redirect(path: string): number   fd 2 now writes to `path` (created or truncated); returns a
 *                                    duplicate of the previous fd 2 for restore()
 *   restore(saved: number): void     fd 2 is the saved descriptor again (which is then closed)
 */
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static napi_value fail(napi_env env, const char *what) {
  char message[256];
  snprintf(message, sizeof message, "stdio guard: %s failed: %s", what, strerror(errno));
  napi_throw_error(env, NULL, message);
  return NULL;
}

static napi_value redirect(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char path[4096];
  size_t length = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_string_utf8(env, argv[0], path, sizeof path, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "stdio guard: redirect(path) needs a file path");
    return NULL;
  }
  fflush(stderr);
  int saved = dup(2);
  if (saved < 0) return fail(env, "dup(2)");
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    close(saved);
    return fail(env, "open");
  }
  if (dup2(fd, 2) < 0) {
    close(fd);
    close(saved);
    return fail(env, "dup2");
  }
  close(fd);
  napi_value result;
  napi_create_int32(env, saved, &result);
  return result;
}

static napi_value restore(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t saved = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &saved) != napi_ok || saved < 0) {
    napi_throw_type_error(env, NULL, "stdio guard: restore(saved) needs the descriptor redirect() returned");
    return NULL;
  }
  fflush(stderr);
  if (dup2(saved, 2) < 0) return fail(env, "dup2");
  close(saved);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"redirect", NULL, redirect, NULL, NULL, NULL, napi_default, NULL},
      {"restore", NULL, restore, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, 2, props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
