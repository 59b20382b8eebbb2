#include "ingest/conninfo.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

namespace walguard {

namespace {

bool IsUri(std::string_view s) {
  return s.starts_with("postgresql://") || s.starts_with("postgres://");
}

// libpq's secret keywords: the password and the client key's passphrase.
// Compared without case and %-decoded (a URI's keys are): libpq rejects
// "Password=x" as an unknown keyword, and that error path logs the redacted
// string, which must not carry x either.
bool IsSecretKey(std::string_view key) {
  std::string lower;
  for (size_t i = 0; i < key.size(); ++i) {
    char c = key[i];
    if (c == '%' && i + 2 < key.size() && std::isxdigit(static_cast<unsigned char>(key[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(key[i + 2]))) {
      c = static_cast<char>(std::stoi(std::string(key.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    }
    lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return lower == "password" || lower == "sslpassword";
}

std::string UrlEncode(std::string_view v) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : v) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// ---- the fallback for strings libpq refuses ----
// They are logged in the "invalid connection string" error, and must not
// carry a secret there either; libpq cannot say where its parse stopped, so
// these take the string apart by hand, conservatively.

// Redacts "[user[:password]@]" and any password or sslpassword query parameter of a URI.
std::string RedactUri(const std::string& uri, bool* found_secret) {
  size_t start = uri.find("://") + 3;
  size_t end = uri.find('/', start);
  if (end == std::string::npos) end = uri.size();
  std::string out = uri;
  // libpq ends the userinfo at the first '@' before the path, like this.
  size_t at = out.find('@', start);
  if (at != std::string::npos && at < end) {
    size_t colon = out.find(':', start);
    if (colon != std::string::npos && colon < at) {
      out.erase(colon, at - colon);
      *found_secret = true;
    }
  }
  size_t q = out.find('?');
  if (q == std::string::npos) return out;
  std::string kept;
  size_t pos = q + 1;
  while (pos <= out.size()) {
    size_t amp = out.find('&', pos);
    if (amp == std::string::npos) amp = out.size();
    std::string_view param(out.data() + pos, amp - pos);
    if (IsSecretKey(param.substr(0, param.find('=')))) {
      *found_secret = true;
    } else if (!param.empty()) {
      kept += kept.empty() ? "" : "&";
      kept += param;
    }
    pos = amp + 1;
  }
  return out.substr(0, kept.empty() ? q : q + 1) + kept;
}

// Splits "k = v k2='v 2'" into spans the way libpq's conninfo_parse does, and
// keeps all but the secrets. An unparseable tail is dropped: it may hold one.
std::string RedactKeyValue(const std::string& s, bool* found_secret) {
  std::string out;
  size_t i = 0, n = s.size();
  auto skip_space = [&] {
    while (i < n && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  };
  while (true) {
    skip_space();
    if (i >= n) break;
    size_t key_start = i;
    while (i < n && s[i] != '=' && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    std::string key = s.substr(key_start, i - key_start);
    skip_space();
    if (i >= n || s[i] != '=') return out + (out.empty() ? "" : " ") + "<unparsed>";
    ++i;
    skip_space();
    bool quoted = i < n && s[i] == '\'';
    if (quoted) ++i;
    while (i < n) {
      if (s[i] == '\\' && i + 1 < n) {
        i += 2;
        continue;
      }
      if (quoted ? s[i] == '\'' : std::isspace(static_cast<unsigned char>(s[i]))) break;
      ++i;
    }
    if (quoted) {
      if (i >= n) return out + (out.empty() ? "" : " ") + "<unparsed>";
      ++i;  // closing quote
    }
    if (IsSecretKey(key)) {
      *found_secret = true;
      continue;
    }
    if (!out.empty()) out += ' ';
    out += s.substr(key_start, i - key_start);
  }
  return out;
}

}  // namespace

// libpq messages end with a newline and may span lines ("ERROR:  ...\nDETAIL:  ...");
// errors and log lines want one line with single spaces.
std::string OneLine(const char* text) {
  std::string out;
  for (const char* p = text ? text : ""; *p != '\0'; ++p) {
    bool space = std::isspace(static_cast<unsigned char>(*p));
    if (space && (out.empty() || out.back() == ' ')) continue;
    out.push_back(space ? ' ' : *p);
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string ScrubSecret(std::string text, const std::string& secret) {
  if (secret.empty()) return text;
  for (size_t p = text.find(secret); p != std::string::npos; p = text.find(secret, p)) {
    text.replace(p, secret.size(), "***");
  }
  return text;
}

// The value `key` already has in `conninfo`, or empty.
std::string ConninfoValue(const std::string& conninfo, std::string_view key) {
  std::string value;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), nullptr);
  if (opts == nullptr) return value;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (key == o->keyword && o->val != nullptr) value = o->val;
  }
  PQconninfoFree(opts);
  return value;
}

// A later key=value wins in libpq, so adding "options" would silently drop
// the user's own (say -c wal_sender_timeout=...): append to them instead.
// The backend applies -c switches in order, so the added ones still win.
std::string AddConnOption(const std::string& conninfo, std::string_view key, std::string_view value) {
  std::string merged;
  if (key == "options") {
    merged = ConninfoValue(conninfo, key);
    if (!merged.empty()) {
      merged += " ";
      merged += value;
      value = merged;
    }
  }
  if (IsUri(conninfo)) {
    char sep = conninfo.find('?') == std::string::npos ? '?' : '&';
    std::string out = conninfo;
    if (out.back() != '?' && out.back() != '&') out.push_back(sep);
    return out + UrlEncode(key) + "=" + UrlEncode(value);
  }
  std::string out = conninfo;
  if (!out.empty() && !std::isspace(static_cast<unsigned char>(out.back()))) out.push_back(' ');
  out.append(key);
  out += "='";
  for (char c : value) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "'";
}

namespace {

// ---- strings libpq accepts: its parse, rebuilt without the secrets ----

using Options = std::vector<std::pair<std::string, std::string>>;

// The options `conninfo` sets, in libpq's keyword order; false when libpq
// refuses the string (its error message is dropped: it may quote a secret).
bool ParseOptions(const std::string& conninfo, Options* out) {
  char* error = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &error);
  PQfreemem(error);
  if (opts == nullptr) return false;
  for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    if (o->val != nullptr) out->emplace_back(o->keyword, o->val);
  }
  PQconninfoFree(opts);
  return true;
}

// Where `key` is first written as a key in `conninfo` ("key =" after a space,
// '?' or '&'), npos if not literally (a %-encoded URI key). Only the order of
// the rebuilt string depends on it, never what it holds.
size_t KeyPosition(std::string_view conninfo, std::string_view key) {
  for (size_t p = conninfo.find(key); p != std::string_view::npos; p = conninfo.find(key, p + 1)) {
    const bool starts = p == 0 || std::isspace(static_cast<unsigned char>(conninfo[p - 1])) || conninfo[p - 1] == '?' ||
                        conninfo[p - 1] == '&';
    size_t q = p + key.size();
    while (q < conninfo.size() && std::isspace(static_cast<unsigned char>(conninfo[q]))) ++q;
    if (starts && q < conninfo.size() && conninfo[q] == '=') return p;
  }
  return std::string_view::npos;
}

// The options without the secrets, in the order the user wrote them.
Options Kept(const std::string& conninfo, const Options& options) {
  Options kept;
  for (const auto& option : options) {
    if (!IsSecretKey(option.first)) kept.push_back(option);
  }
  std::stable_sort(kept.begin(), kept.end(), [&](const auto& a, const auto& b) {
    return KeyPosition(conninfo, a.first) < KeyPosition(conninfo, b.first);
  });
  return kept;
}

// A keyword/value value, quoted when libpq would otherwise split or unescape it.
std::string QuoteValue(std::string_view value) {
  const bool plain = !value.empty() && std::none_of(value.begin(), value.end(), [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) || c == '\'' || c == '\\';
  });
  if (plain) return std::string(value);
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "'";
}

std::string KeyValueString(const Options& options) {
  std::string out;
  for (const auto& [key, value] : options) {
    if (!out.empty()) out += ' ';
    out += key + "=" + QuoteValue(value);
  }
  return out;
}

std::vector<std::string_view> SplitCommas(std::string_view s) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t comma = s.find(',', start);
    parts.push_back(s.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) return parts;
    start = comma + 1;
  }
}

// "postgresql://[user@][host[:port],...][/dbname][?key=value&...]". Hosts
// and ports go in the authority when they pair up, else into the query.
std::string UriString(std::string_view scheme, Options options) {
  auto take = [&](std::string_view key, std::string* value) {
    auto it = std::find_if(options.begin(), options.end(), [&](const auto& o) { return o.first == key; });
    if (it == options.end()) return false;
    *value = it->second;
    options.erase(it);
    return true;
  };
  std::string out(scheme), user, host, port, dbname;
  if (take("user", &user)) out += UrlEncode(user) + "@";
  if (take("host", &host)) {
    const bool has_port = take("port", &port);
    std::vector<std::string_view> hosts = SplitCommas(host), ports = SplitCommas(port);
    if (has_port && ports.size() != hosts.size()) {
      options.emplace_back("host", host);
      options.emplace_back("port", port);
    } else {
      for (size_t i = 0; i < hosts.size(); ++i) {
        if (i > 0) out += ',';
        // An IPv6 address is bracketed; a socket directory's slashes are encoded.
        out += hosts[i].find(':') != std::string_view::npos ? "[" + std::string(hosts[i]) + "]" : UrlEncode(hosts[i]);
        if (has_port && !ports[i].empty()) out += ":" + UrlEncode(ports[i]);
      }
    }
  }
  if (take("dbname", &dbname)) out += "/" + UrlEncode(dbname);
  for (size_t i = 0; i < options.size(); ++i) {
    out += i == 0 ? "?" : "&";
    out += UrlEncode(options[i].first) + "=" + UrlEncode(options[i].second);
  }
  return out;
}

// Both forms; *found_secret tells whether anything was removed.
std::string Redact(const std::string& conninfo, bool* found_secret) {
  Options options;
  if (!ParseOptions(conninfo, &options)) {
    return IsUri(conninfo) ? RedactUri(conninfo, found_secret) : RedactKeyValue(conninfo, found_secret);
  }
  const Options kept = Kept(conninfo, options);
  *found_secret = kept.size() != options.size();
  if (!IsUri(conninfo)) return KeyValueString(kept);
  return UriString(std::string_view(conninfo).substr(0, conninfo.find("://") + 3), kept);
}

}  // namespace

std::string RedactConninfo(const std::string& conninfo) {
  bool found_secret = false;
  return Redact(conninfo, &found_secret);
}

bool ConninfoHasSecret(const std::string& conninfo) {
  bool found_secret = false;
  const std::string redacted = Redact(conninfo, &found_secret);
  // An unparseable tail is treated as a possible secret, like the redaction does.
  return found_secret || redacted.find("<unparsed>") != std::string::npos;
}

std::string ConninfoPassword(const std::string& conninfo) {
  return ConninfoValue(conninfo, "password");
}

}  // namespace walguard
