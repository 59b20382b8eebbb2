// The handover file: the firing set (alert ids) kept beside the database, in
// `<state-dir>/firing.wgh`, so that `walguard run --resnapshot` can continue
// or resolve every alert consumers saw firing even when the database itself
// is damaged beyond opening.
//
// The state store rewrites it after each commit that changed the firing set,
// before that commit's messages are handed to the sink: an alert id is only
// ever published once a file holding it is durable. A crash between the
// database commit and the rewrite leaves the file one step behind, which is
// safe: the snapshot of a --resnapshot re-derives the truth, so an alert in
// the file that is no longer true resolves under its old id, and one that
// fired in the lost step was never published. Open rewrites it from the
// database, so it is current again before anything is published.
//
// Layout: "WGH2" | be64(checkpoint lsn) | varint(count) | count x
// (length-prefixed fingerprint, length-prefixed alert id, facts) | be64(XXH64
// of all before), the facts being the historical mark and the pending repeat
// (PutFiringFacts, core/firing_alert.h). "WGH1", the layout before those
// facts, is still read: its alerts are not historical and have no repeat.
// Written whole: temp file, fsync, rename, fsync of the directory.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/firing_alert.h"
#include "util/lsn.h"
#include "util/status.h"

namespace walguard {

inline constexpr std::string_view kHandoverFileName = "firing.wgh";

struct HandoverFile {
  Lsn lsn = 0;  // the checkpoint of the commit whose firing set this is
  std::vector<FiringAlert> firing;
};

std::string HandoverFilePath(const std::string& state_dir);

std::string EncodeHandoverFile(const HandoverFile& file);
// Corruption when `bytes` is truncated, garbled or not a handover file.
Status DecodeHandoverFile(std::string_view bytes, HandoverFile* out);

// The value of a '~h' key (StateStore::WriteHandover): alert id, '\0', facts.
// A value without the '\0' is one written before the facts: the alert id alone.
std::string EncodeHandoverValue(const FiringAlert& alert);
// False when the facts are damaged.
bool DecodeHandoverValue(std::string_view value, FiringAlert* alert);

// Replaces the file at `path` atomically and durably. NoSpace when the disk
// is full: the old file is left as it was.
Status WriteHandoverFile(const std::string& path, const HandoverFile& file);
// NotFound when there is no file; Corruption when it does not decode.
Status ReadHandoverFile(const std::string& path, HandoverFile* out);

}  // namespace walguard
