#include "processors/row_image.h"

#include <charconv>

#include "core/key_layout.h"
#include "util/coding.h"

namespace walguard {

RowImage EmptyImage(const TableSpec& spec) {
  RowImage image;
  image.cells.resize(spec.columns.size());
  return image;
}

void MergeData(const TableSpec& spec, const std::vector<Datum>& data, RowImage* image) {
  image->cells.resize(spec.columns.size());
  for (const Datum& d : data) {
    for (size_t i = 0; i < spec.columns.size(); ++i) {
      if (spec.columns[i] != d.name) continue;
      Cell& cell = image->cells[i];
      cell.present = true;
      cell.is_null = d.is_null;
      cell.text = d.is_null ? std::string() : d.text;
      break;
    }
  }
}

const std::string* FirstMissingColumn(const TableSpec& spec, const RowImage& image) {
  for (size_t i = 0; i < spec.columns.size(); ++i) {
    if (!spec.Required(i)) break;  // the optional columns come last
    if (i >= image.cells.size() || !image.cells[i].present) return &spec.columns[i];
  }
  return nullptr;
}

bool KeyOfImage(const TableSpec& spec, const RowImage& image, std::string* key) {
  key->clear();
  for (size_t k = 0; k < spec.key_columns.size(); ++k) {
    bool found = false;
    for (size_t i = 0; i < spec.columns.size() && i < image.cells.size(); ++i) {
      if (spec.columns[i] != spec.key_columns[k]) continue;
      const Cell& cell = image.cells[i];
      if (!cell.present || cell.is_null) return false;
      if (k > 0) key->push_back('/');
      key->append(cell.text);
      found = true;
      break;
    }
    if (!found) return false;
  }
  return true;
}

bool KeyOfData(const TableSpec& spec, const std::vector<Datum>& data, std::string* key) {
  key->clear();
  for (size_t k = 0; k < spec.key_columns.size(); ++k) {
    const Datum* found = nullptr;
    for (const Datum& d : data) {
      if (d.name == spec.key_columns[k]) {
        found = &d;
        break;
      }
    }
    if (found == nullptr || found->is_null) return false;
    if (k > 0) key->push_back('/');
    key->append(found->text);
  }
  return true;
}

std::string EncodeImage(const RowImage& image) {
  std::string out;
  PutVarsint64(&out, image.accounted);
  out.push_back(image.has_timer ? 1 : 0);
  if (image.has_timer) PutVarsint64(&out, image.timer);
  for (const Cell& cell : image.cells) {
    out.push_back(static_cast<char>(!cell.present ? 0 : cell.is_null ? 1 : 2));
    if (cell.present && !cell.is_null) PutLengthPrefixed(&out, cell.text);
  }
  return out;
}

bool DecodeImage(std::string_view in, size_t columns, RowImage* image) {
  image->cells.assign(columns, Cell{});
  if (!GetVarsint64(&in, &image->accounted) || in.empty()) return false;
  image->has_timer = in[0] != 0;
  in.remove_prefix(1);
  image->timer = 0;
  if (image->has_timer && !GetVarsint64(&in, &image->timer)) return false;
  for (size_t i = 0; i < columns; ++i) {
    if (in.empty()) return false;
    char tag = in[0];
    in.remove_prefix(1);
    Cell& cell = image->cells[i];
    cell.present = tag != 0;
    cell.is_null = tag == 1;
    if (tag == 2) {
      std::string_view text;
      if (!GetLengthPrefixed(&in, &text)) return false;
      cell.text.assign(text);
    }
  }
  return in.empty();
}

Status CellInt(const TableSpec& spec, const RowImage& image, int col, int64_t* out) {
  const Cell& cell = image.cells[col];
  if (!cell.present || cell.is_null) {
    return Status::InvalidArgument("column " + spec.columns[col] + " is null");
  }
  const char* begin = cell.text.data();
  const char* end = begin + cell.text.size();
  auto [ptr, ec] = std::from_chars(begin, end, *out);
  if (ec != std::errc() || ptr != end) {
    return Status::InvalidArgument("column " + spec.columns[col] + " is not an integer: " + cell.text);
  }
  return Status::OK();
}

Status CellTime(const TableSpec& spec, const RowImage& image, int col, Micros* out, bool* is_null) {
  const Cell& cell = image.cells[col];
  *is_null = !cell.present || cell.is_null;
  if (*is_null) return Status::OK();
  if (!ParseTimestamp(cell.text, out)) {
    return Status::InvalidArgument("column " + spec.columns[col] + " is not a timestamp: " + cell.text);
  }
  return Status::OK();
}

std::string_view CellText(const RowImage& image, int col) {
  const Cell& cell = image.cells[col];
  return cell.present && !cell.is_null ? std::string_view(cell.text) : std::string_view();
}

bool CellKnown(const RowImage& image, int col) {
  if (col < 0 || static_cast<size_t>(col) >= image.cells.size()) return false;
  const Cell& cell = image.cells[col];
  return cell.present && !cell.is_null;
}

std::string ImageKey(TableId table, std::string_view key) {
  std::string k;
  k.reserve(2 + key.size());
  k.push_back(keys::kRowImage);
  k.push_back(static_cast<char>(table));
  k.append(key);
  return k;
}

Status LoadImage(KvTxn* kv, TableId table, std::string_view key, RowImage* image) {
  std::string value;
  WG_RETURN_IF_ERROR(kv->Get(ImageKey(table, key), &value));
  if (!DecodeImage(value, Spec(table).columns.size(), image)) {
    return Status::Corruption("row image " + Spec(table).QualifiedName() + "/" + std::string(key));
  }
  return Status::OK();
}

}  // namespace walguard
