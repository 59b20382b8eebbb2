// Streaming zstd compression onto a growing string, shared by the archive's
// writers (segments: ingest/archive.h; state checkpoints:
// ingest/archive_checkpoint.h). Each compresses its content a chunk at a
// time, so a writer holds the compressed file and one chunk, never its
// content whole.
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

struct ZSTD_CCtx_s;

namespace walguard {

// A zstd compression context set to `level` with the content checksum on
// (every frame of the archive carries one). Null when out of memory.
ZSTD_CCtx_s* NewChecksummedCompressor(int level);
void FreeCompressor(ZSTD_CCtx_s* cctx);

// Compresses `in` onto the end of *out; with `end`, also closes the frame.
// `what` names the writer in an error.
Status CompressOnto(ZSTD_CCtx_s* cctx, std::string_view in, bool end, std::string* out, std::string_view what);

}  // namespace walguard
