// The grammar of option values — counts, numbers, rates, sizes, lists and enum names — shared by
// the command line, the YAML config file and ringside-workload. Every parser returns the typed
// value or a one-line reason ("expected an integer in 1..256, got '0'"); the caller prefixes the
// flag or key it came from.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringside {

// A parsed value, or why the text was not one.
template <class T>
class Parsed {
 public:
  using value_type = T;
  Parsed(T value) : value_(std::move(value)) {}  // NOLINT: implicit on purpose
  static Parsed fail(std::string reason) {
    Parsed p;
    p.error_ = std::move(reason);
    return p;
  }
  explicit operator bool() const noexcept { return value_.has_value(); }
  const T& operator*() const { return *value_; }
  const T* operator->() const { return &*value_; }
  [[nodiscard]] const std::string& error() const noexcept { return error_; }
  // The value, or throws UsageError("<context>: <reason>").
  T value_or_throw(std::string_view context) const;

 private:
  Parsed() = default;
  std::optional<T> value_;
  std::string error_;
};

[[noreturn]] void throw_usage(std::string_view context, std::string_view reason);

template <class T>
T Parsed<T>::value_or_throw(std::string_view context) const {
  if (!value_) throw_usage(context, error_);
  return *value_;
}

// A whole-string unsigned decimal in lo..hi ("12"; no sign, spaces or suffix).
Parsed<uint64_t> parse_count(std::string_view text, uint64_t lo, uint64_t hi);
// A finite decimal number in [lo, hi] (or (lo, hi] with lo_open); no NaN, no infinities.
Parsed<double> parse_number(std::string_view text, double lo, double hi, bool lo_open = false);
// "true"/"false" (also yes/no, on/off, 1/0 as YAML spells them).
Parsed<bool> parse_bool(std::string_view text);

// Operations per second: "max" (unpaced) or a number of ops/s from 1 to kMaxRate with an
// optional k (×1000) or M (×1000000) suffix: "5000", "10k", "2.5M".
inline constexpr double kMaxRate = 1e9;
struct Rate {
  double per_sec = 0;  // 0 = max
  [[nodiscard]] bool is_max() const noexcept { return per_sec == 0; }
  bool operator==(const Rate&) const = default;
};
Parsed<Rate> parse_rate(std::string_view text);
// "max", "10k", "2M", "1234", "2.5k".
std::string to_string(Rate rate);

// Comma-separated items, each parsed by `one`; the reason names the bad item.
template <class Fn>
auto parse_list(std::string_view text, Fn one) -> Parsed<std::vector<typename decltype(one(text))::value_type>>;

// Enum names: specialise EnumNames<E> with `static constexpr std::array table` of {value, name}
// pairs (in display order); parse_enum and to_string then work for E, and the error lists them.
template <class E>
struct EnumNames;

template <class E>
std::string_view to_string(E value) requires requires { EnumNames<E>::table; } {
  for (const auto& [v, name] : EnumNames<E>::table)
    if (v == value) return name;
  return "?";
}

// "a, b or c": the accepted names of E, for help texts and errors.
template <class E>
std::string enum_choices() {
  std::string out;
  const auto& t = EnumNames<E>::table;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (i > 0) out += i + 1 == t.size() ? " or " : ", ";
    out += t[i].second;
  }
  return out;
}

template <class E>
Parsed<E> parse_enum(std::string_view text) {
  for (const auto& [v, name] : EnumNames<E>::table)
    if (name == text) return v;
  return Parsed<E>::fail("expected " + enum_choices<E>() + ", got '" + std::string(text) + "'");
}

// --- template definitions ---------------------------------------------------------------------

template <class Fn>
auto parse_list(std::string_view text, Fn one) -> Parsed<std::vector<typename decltype(one(text))::value_type>> {
  using Item = typename decltype(one(text))::value_type;
  std::vector<Item> out;
  if (text.empty()) return Parsed<std::vector<Item>>::fail("expected at least one value, got ''");
  for (;;) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    auto parsed = one(item);
    if (!parsed) return Parsed<std::vector<Item>>::fail(parsed.error());
    out.push_back(*parsed);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace ringside
