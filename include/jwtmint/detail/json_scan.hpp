// SPDX-License-Identifier: MIT
// A strict RFC 8259 validator for the verifier: one JSON object, the spans of its members' values, no DOM.
#pragma once

#include <jwtmint/detail/utf8.hpp>

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <vector>

namespace jwt {
inline namespace v1 {
namespace detail {

/// The JSON type of a value, named as nlohmann::json::type_name() names it.
enum class json_type : unsigned char { null, boolean, number, string, array, object };

[[nodiscard]] inline const char* json_type_name(json_type t) noexcept {
    switch (t) {
        case json_type::null: return "null";
        case json_type::boolean: return "boolean";
        case json_type::number: return "number";
        case json_type::string: return "string";
        case json_type::array: return "array";
        case json_type::object: return "object";
    }
    return "value";
}

/// The type of the valid JSON value whose text starts with c.
[[nodiscard]] constexpr json_type json_type_of(char c) noexcept {
    switch (c) {
        case '{': return json_type::object;
        case '[': return json_type::array;
        case '"': return json_type::string;
        case 't':
        case 'f': return json_type::boolean;
        case 'n': return json_type::null;
        default: return json_type::number;
    }
}

/// One member of the scanned top-level object.
struct json_member {
    std::string_view name;   ///< the name between its quotes, escapes not decoded
    std::string_view value;  ///< the value's exact text ("..." with its quotes for a string)
    json_type type = json_type::null;
    bool name_escaped = false;   ///< the name holds a backslash escape
    bool value_escaped = false;  ///< a string value holds a backslash escape
};

/// Why a text was refused, in the order the verifier reports them.
enum class json_fault : unsigned char {
    none,
    byte_order_mark,   ///< starts with U+FEFF (RFC 8259 section 8.1)
    syntax,            ///< not one JSON text, or not UTF-8
    number_too_large,  ///< a number whose magnitude no double holds (1e400), which nlohmann::json refuses
    duplicate_name,    ///< two members of one object share a name (after unescaping), at any depth
    too_deep,          ///< arrays and objects nest deeper than the limit
    not_object,        ///< a valid JSON text that is not an object
};

/// Calls sink(std::string_view) with the decoded octets of a string body (between the quotes)
/// that json_object_scan accepted: runs of plain text, and each escape's UTF-8.
template <class Sink>
void json_decode_string(std::string_view raw, Sink&& sink) {
    const auto hex = [&](std::size_t at) {
        unsigned v = 0;
        for (std::size_t k = 0; k < 4; ++k) {
            const char c = raw[at + k];
            v = v * 16 + static_cast<unsigned>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        }
        return v;
    };
    std::size_t run = 0;
    std::size_t i = 0;
    while (i < raw.size()) {
        if (raw[i] != '\\') {
            ++i;
            continue;
        }
        if (i > run) sink(raw.substr(run, i - run));
        std::array<char, 4> out{};
        std::size_t n = 1;
        const char e = raw[i + 1];
        i += 2;
        switch (e) {
            case 'b': out[0] = '\b'; break;
            case 'f': out[0] = '\f'; break;
            case 'n': out[0] = '\n'; break;
            case 'r': out[0] = '\r'; break;
            case 't': out[0] = '\t'; break;
            case 'u': {
                unsigned cp = hex(i);
                i += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF) {  // the scanner checked that "\uDC00".."\uDFFF" follows
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (hex(i + 2) - 0xDC00);
                    i += 6;
                }
                if (cp < 0x80) {
                    out[0] = static_cast<char>(cp);
                } else if (cp < 0x800) {
                    out[0] = static_cast<char>(0xC0 | (cp >> 6));
                    out[1] = static_cast<char>(0x80 | (cp & 0x3F));
                    n = 2;
                } else if (cp < 0x10000) {
                    out[0] = static_cast<char>(0xE0 | (cp >> 12));
                    out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
                    out[2] = static_cast<char>(0x80 | (cp & 0x3F));
                    n = 3;
                } else {
                    out[0] = static_cast<char>(0xF0 | (cp >> 18));
                    out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
                    out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
                    out[3] = static_cast<char>(0x80 | (cp & 0x3F));
                    n = 4;
                }
                break;
            }
            default: out[0] = e; break;  // " \ /
        }
        sink(std::string_view(out.data(), n));
        run = i;
    }
    if (raw.size() > run) sink(raw.substr(run));
}

/// The decoded text of an accepted string body.
[[nodiscard]] inline std::string json_unescape(std::string_view raw, bool escaped) {
    if (!escaped) return std::string(raw);
    std::string out;
    out.reserve(raw.size());
    json_decode_string(raw, [&](std::string_view part) { out.append(part); });
    return out;
}

/// Whether an accepted string body decodes to exactly plain; allocates nothing.
[[nodiscard]] inline bool json_string_equal(std::string_view raw, bool escaped, std::string_view plain) noexcept {
    if (!escaped) return raw == plain;
    std::size_t at = 0;
    bool same = true;
    json_decode_string(raw, [&](std::string_view part) {
        same = same && plain.substr(at, part.size()) == part;
        at += part.size();
    });
    return same && at == plain.size();
}

/// The end of the value that starts at pos in text that json_object_scan accepted.
[[nodiscard]] inline std::size_t json_skip_value(std::string_view text, std::size_t pos) noexcept {
    int depth = 0;
    while (pos < text.size()) {
        const char c = text[pos];
        if (c == '"') {
            ++pos;
            while (text[pos] != '"') pos += text[pos] == '\\' ? std::size_t{2} : std::size_t{1};
            ++pos;
            if (depth == 0) return pos;
        } else if (c == '{' || c == '[') {
            ++depth;
            ++pos;
        } else if (c == '}' || c == ']') {
            ++pos;
            if (--depth == 0) return pos;
        } else if (depth == 0) {
            while (pos < text.size() && text[pos] != ',' && text[pos] != ']' && text[pos] != '}' && text[pos] != ' ' &&
                   text[pos] != '\t' && text[pos] != '\n' && text[pos] != '\r') {
                ++pos;
            }
            return pos;
        } else {
            ++pos;
        }
    }
    return pos;
}

/// Appends the text of a value that json_object_scan accepted without the white space between
/// its tokens (the white space inside its strings stays).
inline void append_json_minified(std::string& out, std::string_view value) {
    std::size_t pos = 0;
    while (pos < value.size()) {
        const char c = value[pos];
        if (c == '"') {
            const std::size_t end = json_skip_value(value, pos);
            out.append(value, pos, end - pos);
            pos = end;
        } else {
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') out += c;
            ++pos;
        }
    }
}

/// The member of [first, last) whose decoded name is name, or nullptr.
[[nodiscard]] inline const json_member* json_find_member(const json_member* first, const json_member* last,
                                                         std::string_view name) noexcept {
    for (; first != last; ++first) {
        const json_member& m = *first;
        if (m.name_escaped) {
            if (json_string_equal(m.name, true, name)) return &m;
        } else if (m.name.size() == name.size() && (name.empty() || m.name[0] == name[0]) &&
                   std::char_traits<char>::compare(m.name.data(), name.data(), name.size()) == 0) {
            return &m;
        }
    }
    return nullptr;
}

/// Calls f(std::string_view element) for each element of an accepted array's text, in order.
template <class F>
void json_for_each_element(std::string_view array, F&& f) {
    const auto ws = [&](std::size_t p) {
        while (p < array.size() && (array[p] == ' ' || array[p] == '\t' || array[p] == '\n' || array[p] == '\r')) ++p;
        return p;
    };
    std::size_t pos = ws(1);
    while (pos < array.size() && array[pos] != ']') {
        const std::size_t end = json_skip_value(array, pos);
        f(array.substr(pos, end - pos));
        pos = ws(end);
        if (pos < array.size() && array[pos] == ',') pos = ws(pos + 1);
    }
}

/// The scale of a JSON number (RFC 8259 grammar): whether every digit of its significand is 0,
/// and else the decimal exponent of its leading significant digit (1.5e3 -> 3, 0.01 -> -2,
/// 120 -> 2). The exponent part is read exactly up to exponent_limit and saturates there, far
/// beyond any text's own length, so the sum is right in sign and size for any exponent written.
struct json_number_scale {
    static constexpr std::int64_t exponent_limit = 1'000'000'000'000'000;
    bool zero = true;
    std::int64_t exponent = 0;
};

[[nodiscard]] inline json_number_scale json_number_scale_of(std::string_view n) noexcept {
    json_number_scale s;
    const auto digit = [&](std::size_t p) { return p < n.size() && n[p] >= '0' && n[p] <= '9'; };
    std::size_t i = !n.empty() && n[0] == '-' ? 1 : 0;
    const std::size_t integer = i;
    while (digit(i)) ++i;
    if (i > integer && n[integer] != '0') {
        s.zero = false;
        s.exponent = static_cast<std::int64_t>(i - integer) - 1;
    }
    if (i < n.size() && n[i] == '.') {
        const std::size_t fraction = ++i;
        while (digit(i)) {
            if (s.zero && n[i] != '0') {
                s.zero = false;
                s.exponent = -static_cast<std::int64_t>(i - fraction) - 1;
            }
            ++i;
        }
    }
    if (i < n.size() && (n[i] == 'e' || n[i] == 'E')) {
        ++i;
        bool negative = false;
        if (i < n.size() && (n[i] == '+' || n[i] == '-')) negative = n[i++] == '-';
        std::int64_t e = 0;
        for (; digit(i); ++i) {
            if (e < json_number_scale::exponent_limit) e = e * 10 + (n[i] - '0');
        }
        s.exponent += negative ? -e : e;
    }
    return s;
}

/// Whether a JSON number's magnitude fits a double after rounding (nlohmann::json refuses a
/// number that strtod rounds to infinity; one that underflows it reads as 0 or a subnormal).
[[nodiscard]] inline bool json_number_fits_double(std::string_view number) noexcept {
    const json_number_scale s = json_number_scale_of(number);
    if (s.zero || s.exponent < 308) return true;
    if (s.exponent > 308) return false;
    // 1e308 <= |x| < 1e309: finite only up to DBL_MAX, after rounding.
    double d = 0;
    return std::from_chars(number.data(), number.data() + number.size(), d).ec == std::errc{};
}

/// A JSON number's value as nlohmann::json holds it.
struct json_number {
    enum class kind : unsigned char {
        unsigned_integer,  ///< no fraction, no exponent, no sign, and fits 64 bits: in unsigned_value
        integer,           ///< no fraction, no exponent, a '-', and fits 64 bits: in integer_value
        floating,          ///< anything else: the nearest double (correctly rounded, as strtod) in float_value
    };
    kind type = kind::unsigned_integer;
    std::uint64_t unsigned_value = 0;
    std::int64_t integer_value = 0;
    double float_value = 0;
};

/// The value nlohmann::json gives a number that json_object_scan accepted: an integer that fits
/// 64 bits read exactly (strtoull / strtoll), any other number as the nearest double (strtod):
/// below the least subnormal it is +-0, and a magnitude above DBL_MAX is +-infinity (which the
/// scan and nlohmann::json refuse).
[[nodiscard]] inline json_number json_number_value(std::string_view n) noexcept {
    json_number out;
    const char* first = n.data();
    const char* last = first + n.size();
    const bool negative = !n.empty() && n[0] == '-';
    // A loop, not n.find_first_of(".eE"): that calls memchr once per digit, which made reading a
    // token's exp and iat cost 2% of an HS256 verify.
    bool integral = true;
    for (const char c : n) integral = integral && c != '.' && c != 'e' && c != 'E';
    if (integral) {
        if (negative && std::from_chars(first, last, out.integer_value).ec == std::errc{}) {
            out.type = json_number::kind::integer;
            return out;
        }
        if (!negative && std::from_chars(first, last, out.unsigned_value).ec == std::errc{}) {
            return out;
        }
    }
    out.type = json_number::kind::floating;
    out.float_value = 0;
    if (std::from_chars(first, last, out.float_value).ec == std::errc::result_out_of_range) {
        // from_chars leaves the value alone when strtod would set ERANGE; strtod's own result is
        // then a signed zero for an underflow and a signed infinity for an overflow.
        const double magnitude = json_number_scale_of(n).exponent < 0 ? 0.0 : std::numeric_limits<double>::infinity();
        out.float_value = negative ? -magnitude : magnitude;
    }
    return out;
}

/// What an octet is inside a JSON string: text to copy, its end, an escape, a control character
/// (which must be escaped), or the first octet of a UTF-8 sequence to check.
enum class json_octet : unsigned char { plain, quote, backslash, control, non_ascii };
inline constexpr std::array<json_octet, 256> json_octet_classes = [] {
    std::array<json_octet, 256> t{};
    for (std::size_t c = 0; c < 256; ++c) {
        json_octet k = json_octet::plain;
        if (c < 0x20) k = json_octet::control;
        else if (c == '"') k = json_octet::quote;
        else if (c == '\\') k = json_octet::backslash;
        else if (c >= 0x80) k = json_octet::non_ascii;
        t[c] = k;
    }
    return t;
}();

/// Reads the four hex digits of a \\u escape at text[p..p+4) into v; false if they are not.
[[nodiscard]] inline bool json_hex4(std::string_view text, std::size_t p, unsigned& v) noexcept {
    if (p + 4 > text.size()) return false;
    v = 0;
    for (std::size_t k = 0; k < 4; ++k) {
        const auto c = static_cast<unsigned char>(text[p + k]);
        unsigned d = 0;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10U;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10U;
        else return false;
        v = v * 16 + d;
    }
    return true;
}

/// Validates one JSON text exactly as strictly as nlohmann::json::parse plus the verifier's
/// own rules (no byte order mark, no duplicate member names at any depth, a depth limit, an
/// object at the top), and records the top-level object's members as spans of the text.
/// Allocates nothing for a top-level object of up to inline_members members in which every object
/// has fewer than big_object (24) names (an object with more gets a hash set of its names), the
/// objects open at once have up to inline_names names together, and no two escaped names need
/// comparing.
/// The text must outlive the scan; the scan is neither copyable nor movable (it may point
/// into itself).
class json_object_scan {
public:
    static constexpr std::size_t inline_members = 16;
    static constexpr std::size_t inline_names = 48;
    /// Deeper nesting than this is always too deep, whatever limit scan() is given.
    static constexpr int depth_capacity = 64;

    json_object_scan() = default;
    json_object_scan(const json_object_scan&) = delete;
    json_object_scan& operator=(const json_object_scan&) = delete;

    /// Scans text; max_depth counts the top-level value's container as level 1.
    [[nodiscard]] json_fault scan(std::string_view text, int max_depth) {
        text_ = text;
        pos_ = 0;
        count_ = 0;
        members_ = inline_members_.data();
        more_members_.clear();
        names_ = 0;
        more_names_.clear();
        duplicate_.clear();
        have_duplicate_ = false;
        too_large_ = {};
        big_sets_.clear();
        depth_ = 0;
        max_depth_ = max_depth < depth_capacity ? max_depth : depth_capacity;
        if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") return json_fault::byte_order_mark;
        // The scan stops at the first level too deep and reports too_deep, even when a duplicate
        // came before it: it has not read the rest, which may hold a syntax error that, for the
        // reference reading on, comes first. A duplicate is reported only for a text read whole.
        const json_fault f = run();
        if (f != json_fault::none) return f;
        if (have_duplicate_) return json_fault::duplicate_name;
        if (top_type_ != json_type::object) return json_fault::not_object;
        return json_fault::none;
    }

    /// The first repeated member name (decoded), after scan() returned duplicate_name.
    [[nodiscard]] const std::string& duplicate() const noexcept { return duplicate_; }
    /// The number's text, after scan() returned number_too_large.
    [[nodiscard]] std::string_view too_large() const noexcept { return too_large_; }

    /// The top-level object's members in text order (after scan() returned none).
    [[nodiscard]] const json_member* begin() const noexcept { return members_; }
    [[nodiscard]] const json_member* end() const noexcept { return members_ + count_; }
    [[nodiscard]] std::size_t size() const noexcept { return count_; }

    /// The member whose decoded name is name, or nullptr.
    [[nodiscard]] const json_member* find(std::string_view name) const noexcept {
        return json_find_member(begin(), end(), name);
    }

private:
    // Both are trivial, so the stacks below cost nothing to create or destroy: every field is
    // written when an entry is pushed, before it is read.
    struct name_ref {
        std::string_view raw;
        std::size_t decoded_size;
        bool escaped;
    };
    struct frame {
        bool object;
        std::size_t first_name;  // index of this object's first name in the name stack
        std::size_t names;
        std::unordered_set<std::string>* big;  // an object with many names: its set, in big_sets_
    };
    static constexpr std::size_t big_object = 24;

    [[nodiscard]] unsigned char at(std::size_t p) const noexcept {
        return p < text_.size() ? static_cast<unsigned char>(text_[p]) : 0;
    }
    void skip_ws() noexcept {
        while (pos_ < text_.size()) {
            const char c = text_[pos_];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
            ++pos_;
        }
    }
    /// A string at pos_ (on its opening quote): on success pos_ is past the closing quote.
    bool scan_string(std::string_view& body, bool& escaped, std::size_t& decoded) noexcept {
        const std::size_t start = ++pos_;
        escaped = false;
        std::size_t shrink = 0;  // octets the escapes lose when decoded
        const std::size_t size = text_.size();
        const auto* octets = reinterpret_cast<const unsigned char*>(text_.data());
        while (true) {
            while (pos_ < size && json_octet_classes[octets[pos_]] == json_octet::plain) ++pos_;
            if (pos_ >= size) return false;
            switch (json_octet_classes[octets[pos_]]) {
                case json_octet::plain: ++pos_; continue;
                case json_octet::quote:
                    body = text_.substr(start, pos_ - start);
                    decoded = body.size() - shrink;
                    ++pos_;
                    return true;
                case json_octet::backslash: {
                    escaped = true;
                    const char e = static_cast<char>(at(pos_ + 1));
                    if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
                        pos_ += 2;
                        shrink += 1;
                        continue;
                    }
                    unsigned cp = 0;
                    if (e != 'u' || !json_hex4(text_, pos_ + 2, cp)) return false;
                    pos_ += 6;
                    if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // a low surrogate alone
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        unsigned lo = 0;
                        if (at(pos_) != '\\' || at(pos_ + 1) != 'u' || !json_hex4(text_, pos_ + 2, lo) || lo < 0xDC00 ||
                            lo > 0xDFFF) {
                            return false;  // a high surrogate must be followed by a low one
                        }
                        pos_ += 6;
                        shrink += 12 - 4;
                    } else {
                        shrink += 6 - (cp < 0x80 ? 1 : cp < 0x800 ? 2 : 3);
                    }
                    continue;
                }
                case json_octet::control: return false;
                case json_octet::non_ascii: {
                    const std::size_t len = utf8_sequence_size(octets, pos_, size);
                    if (len == 0) return false;
                    pos_ += len;
                    continue;
                }
            }
        }
    }

    /// A number at pos_ (RFC 8259 section 6): syntax for bad grammar, number_too_large for a
    /// magnitude no double holds (nlohmann::json parses such numbers as double and refuses
    /// infinity); that number is then kept for too_large().
    json_fault scan_number() noexcept {
        const std::size_t start = pos_;
        const auto digit = [&](std::size_t p) { return at(p) >= '0' && at(p) <= '9'; };
        if (at(pos_) == '-') ++pos_;
        if (at(pos_) == '0') {
            ++pos_;
        } else if (digit(pos_)) {
            while (digit(pos_)) ++pos_;
        } else {
            return json_fault::syntax;
        }
        if (at(pos_) == '.') {
            ++pos_;
            if (!digit(pos_)) return json_fault::syntax;
            while (digit(pos_)) ++pos_;
        }
        if (at(pos_) == 'e' || at(pos_) == 'E') {
            ++pos_;
            if (at(pos_) == '+' || at(pos_) == '-') ++pos_;
            if (!digit(pos_)) return json_fault::syntax;
            while (digit(pos_)) ++pos_;
        }
        const std::string_view number = text_.substr(start, pos_ - start);
        if (json_number_fits_double(number)) return json_fault::none;
        too_large_ = number;
        return json_fault::number_too_large;
    }

    bool scan_literal(std::string_view word) noexcept {
        if (text_.substr(pos_, word.size()) != word) return false;
        pos_ += word.size();
        return true;
    }

    [[nodiscard]] std::size_t name_count() const noexcept { return names_; }
    name_ref& name_at(std::size_t i) noexcept { return more_names_.empty() ? inline_names_[i] : more_names_[i]; }

    static bool same_name(const name_ref& a, const name_ref& b) {
        if (a.decoded_size != b.decoded_size) return false;
        if (!a.escaped && !b.escaped) return a.raw == b.raw;
        if (!a.escaped) return json_string_equal(b.raw, true, a.raw);
        if (!b.escaped) return json_string_equal(a.raw, true, b.raw);
        return json_string_equal(b.raw, true, json_unescape(a.raw, true));
    }

    void note_duplicate(const name_ref& n) {
        if (have_duplicate_) return;
        have_duplicate_ = true;
        duplicate_ = json_unescape(n.raw, n.escaped);
    }

    /// Records a member name of the innermost object, checking it against the object's others.
    void add_name(const name_ref& n) {
        frame& f = frames_[static_cast<std::size_t>(depth_ - 1)];
        if (have_duplicate_) return;  // the first duplicate is the one reported
        if (f.big) {
            if (!f.big->insert(json_unescape(n.raw, n.escaped)).second) note_duplicate(n);
            return;
        }
        for (std::size_t i = f.first_name; i < names_; ++i) {
            if (same_name(name_at(i), n)) {
                note_duplicate(n);
                return;
            }
        }
        if (++f.names >= big_object) {
            // Many names: a hash set, so that a large object costs no more than O(n) compares.
            f.big = big_sets_.emplace_back(std::make_unique<std::unordered_set<std::string>>()).get();
            for (std::size_t i = f.first_name; i < names_; ++i)
                f.big->insert(json_unescape(name_at(i).raw, name_at(i).escaped));
            f.big->insert(json_unescape(n.raw, n.escaped));
            names_ = f.first_name;
            if (!more_names_.empty()) more_names_.resize(names_);
            return;
        }
        if (more_names_.empty() && names_ < inline_names) {
            inline_names_[names_++] = n;
            return;
        }
        if (more_names_.empty())
            more_names_.assign(inline_names_.begin(), inline_names_.begin() + static_cast<std::ptrdiff_t>(names_));
        more_names_.push_back(n);
        ++names_;
    }

    void add_member(const json_member& m) {
        if (members_ == inline_members_.data() && count_ < inline_members) {
            inline_members_[count_++] = m;
            return;
        }
        if (members_ == inline_members_.data()) {
            more_members_.assign(inline_members_.begin(), inline_members_.end());
        }
        more_members_.push_back(m);
        members_ = more_members_.data();
        ++count_;
    }

    bool open(bool object) {
        if (depth_ >= max_depth_) return false;
        frame& f = frames_[static_cast<std::size_t>(depth_++)];
        f.object = object;
        f.first_name = names_;
        f.names = 0;
        f.big = nullptr;
        ++pos_;
        return true;
    }

    void close() {
        frame& f = frames_[static_cast<std::size_t>(--depth_)];
        f.big = nullptr;
        names_ = f.first_name;
        if (!more_names_.empty()) more_names_.resize(names_);
        ++pos_;
    }

    /// The grammar, iteratively: a stack of open containers instead of recursion.
    json_fault run() {
        skip_ws();
        if (pos_ >= text_.size()) return json_fault::syntax;
        top_type_ = json_type_of(text_[pos_]);
        while (true) {
            // A value starts at pos_ (whitespace skipped).
            if (pos_ >= text_.size()) return json_fault::syntax;
            bool value_escaped = false;
            switch (text_[pos_]) {
                case '{':
                    if (!open(true)) return json_fault::too_deep;
                    skip_ws();
                    if (at(pos_) == '}') {
                        close();
                        break;
                    }
                    if (!scan_member_name()) return json_fault::syntax;
                    continue;
                case '[':
                    if (!open(false)) return json_fault::too_deep;
                    skip_ws();
                    if (at(pos_) == ']') {
                        close();
                        break;
                    }
                    continue;
                case '"': {
                    std::string_view body;
                    std::size_t decoded = 0;
                    if (!scan_string(body, value_escaped, decoded)) return json_fault::syntax;
                    break;
                }
                case 't':
                    if (!scan_literal("true")) return json_fault::syntax;
                    break;
                case 'f':
                    if (!scan_literal("false")) return json_fault::syntax;
                    break;
                case 'n':
                    if (!scan_literal("null")) return json_fault::syntax;
                    break;
                default:
                    if (const json_fault f = scan_number(); f != json_fault::none) return f;
                    break;
            }
            // A value ended at pos_: record it if it is a top-level member's, then close every
            // container it completes.
            while (true) {
                if (depth_ == 1 && frames_[0].object) {
                    add_member({top_name_, text_.substr(top_value_, pos_ - top_value_), json_type_of(text_[top_value_]),
                                top_name_escaped_, value_escaped});
                }
                value_escaped = false;
                skip_ws();
                if (depth_ == 0) return pos_ == text_.size() ? json_fault::none : json_fault::syntax;
                if (pos_ >= text_.size()) return json_fault::syntax;
                const bool object = frames_[static_cast<std::size_t>(depth_ - 1)].object;
                const char c = text_[pos_];
                if (c == ',') {
                    ++pos_;
                    skip_ws();
                    if (object && !scan_member_name()) return json_fault::syntax;
                    break;
                }
                if (c != (object ? '}' : ']')) return json_fault::syntax;
                close();
            }
        }
    }

    /// Inside an object, on the opening quote of a name: the name, ':' and whitespace; pos_ is
    /// then at the member's value.
    bool scan_member_name() {
        if (pos_ >= text_.size() || text_[pos_] != '"') return false;
        std::string_view name;
        bool escaped = false;
        std::size_t decoded = 0;
        if (!scan_string(name, escaped, decoded)) return false;
        add_name({name, decoded, escaped});
        skip_ws();
        if (pos_ >= text_.size() || text_[pos_] != ':') return false;
        ++pos_;
        skip_ws();
        if (depth_ == 1) {
            top_name_ = name;
            top_name_escaped_ = escaped;
            top_value_ = pos_;
        }
        return true;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    json_type top_type_ = json_type::null;
    std::array<json_member, inline_members> inline_members_{};
    std::vector<json_member> more_members_;
    json_member* members_ = inline_members_.data();
    std::size_t count_ = 0;
    std::array<name_ref, inline_names> inline_names_;
    std::vector<name_ref> more_names_;  // the name stack once it outgrows inline_names_
    std::size_t names_ = 0;
    std::array<frame, depth_capacity> frames_;
    std::vector<std::unique_ptr<std::unordered_set<std::string>>> big_sets_;  // owns the frames' sets
    int depth_ = 0;
    int max_depth_ = depth_capacity;
    std::string duplicate_;
    bool have_duplicate_ = false;
    std::string_view too_large_;  // the number that made scan() return number_too_large
    std::string_view top_name_;   // the top-level member being read
    bool top_name_escaped_ = false;
    std::size_t top_value_ = 0;
};

}  // namespace detail
}  // namespace v1
}  // namespace jwt
