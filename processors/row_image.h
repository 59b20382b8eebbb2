// RowImage: the stored copy of one monitored row, holding only the columns
// the rules read (TableSpec::columns, in that order).
//
// Updates are merged into the stored image, never replacing it: under
// REPLICA IDENTITY DEFAULT an UPDATE carries no old values, and wal2json
// leaves unchanged TOASTed columns out entirely.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/change.h"
#include "core/kv.h"
#include "processors/monitored_tables.h"
#include "util/status.h"
#include "util/time.h"

namespace walguard {

struct Cell {
  bool present = false;  // false: never seen (an INSERT must set every column)
  bool is_null = false;
  std::string text;
};

struct RowImage {
  std::vector<Cell> cells;
  // Derived state that the aggregates currently account for this row (e.g.
  // a hold's expiry phase); owned by the table's handler.
  int64_t accounted = 0;
  // The pending timer set for this row, so it can be cleared exactly.
  bool has_timer = false;
  Micros timer = 0;
};

// An image with spec.columns.size() absent cells.
RowImage EmptyImage(const TableSpec& spec);

// Copies the spec's columns found in `data` into *image; others are ignored.
void MergeData(const TableSpec& spec, const std::vector<Datum>& data, RowImage* image);

// The first required spec column absent from the image, or nullptr.
// Context-only columns (not TableSpec::Required) may stay absent.
const std::string* FirstMissingColumn(const TableSpec& spec, const RowImage& image);

// The row's key: its key columns' text joined by '/'. False if one is absent or null.
bool KeyOfImage(const TableSpec& spec, const RowImage& image, std::string* key);
bool KeyOfData(const TableSpec& spec, const std::vector<Datum>& data, std::string* key);

std::string EncodeImage(const RowImage& image);
bool DecodeImage(std::string_view encoded, size_t columns, RowImage* image);

// Typed reads of one cell. A null or absent cell is an InvalidArgument unless
// the read allows null (then *is_null is set).
Status CellInt(const TableSpec& spec, const RowImage& image, int col, int64_t* out);
Status CellTime(const TableSpec& spec, const RowImage& image, int col, Micros* out, bool* is_null);
// Null or absent reads as "".
std::string_view CellText(const RowImage& image, int col);
// False when the cell is null, absent or beyond the image: for context
// values, which are null when unknown.
bool CellKnown(const RowImage& image, int col);

// Stored images live under 'R' | table id | row key.
std::string ImageKey(TableId table, std::string_view key);
// NotFound when absent; Corruption when the stored bytes do not decode.
Status LoadImage(KvTxn* kv, TableId table, std::string_view key, RowImage* image);

}  // namespace walguard
