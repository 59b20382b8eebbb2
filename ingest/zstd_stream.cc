#include "ingest/zstd_stream.h"

#include <zstd.h>

namespace walguard {

ZSTD_CCtx_s* NewChecksummedCompressor(int level) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  if (cctx == nullptr) return nullptr;
  const size_t rc = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
  if (ZSTD_isError(rc) || ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1))) {
    ZSTD_freeCCtx(cctx);
    return nullptr;
  }
  return cctx;
}

void FreeCompressor(ZSTD_CCtx_s* cctx) {
  ZSTD_freeCCtx(cctx);
}

Status CompressOnto(ZSTD_CCtx_s* cctx, std::string_view in, bool end, std::string* out, std::string_view what) {
  const ZSTD_EndDirective mode = end ? ZSTD_e_end : ZSTD_e_continue;
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  // Every turn either consumes input or flushes a full output buffer.
  const size_t max_turns = in.size() / 64 + 1024;
  for (size_t turn = 0; turn < max_turns; ++turn) {
    const size_t at = out->size();
    out->resize(at + ZSTD_CStreamOutSize());
    ZSTD_outBuffer output{out->data() + at, ZSTD_CStreamOutSize(), 0};
    const size_t remaining = ZSTD_compressStream2(cctx, &output, &input, mode);
    out->resize(at + output.pos);
    if (ZSTD_isError(remaining)) return Status::IOError(std::string(what) + ": zstd: " + ZSTD_getErrorName(remaining));
    if (end ? remaining == 0 : input.pos == input.size) return Status::OK();
  }
  return Status::IOError(std::string(what) + ": zstd made no progress");
}

}  // namespace walguard
