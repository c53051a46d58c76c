// SPDX-License-Identifier: MIT
// The differential oracle for detail/json_scan.hpp, shared by tests/json_scan_test.cpp and
// fuzz/fuzz_json_scan.cpp: nlohmann::json::parse plus the verifier's former duplicate-name,
// depth and byte-order-mark rules (its parser callback before json_scan existed).
#pragma once

#include <jwtmint/detail/json_scan.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace jwtmint_test {

using jwt::detail::json_fault;

// bugprone-exception-escape is off for this struct: its implicit destructor runs nlohmann::json's,
// which allocates a stack to destroy nested values without recursion (std::bad_alloc, in theory).
struct reference_result {  // NOLINT(bugprone-exception-escape)
    json_fault fault = json_fault::none;
    nlohmann::json value;
};

/// The former rules, in their order: BOM, then nlohmann's own refusal (a number too large for a
/// double, error 406, apart from every other), then the first duplicate
/// member name (compared as nlohmann decodes names), then depth, then "not an object".
///
/// One deliberate difference: nlohmann's lexer takes a NUL octet outside a string for the end
/// of the input, so the former rules accepted `{"a":1}<NUL>anything`. RFC 8259 has no such
/// rule, and json_scan refuses every NUL outside a string (inside one it is a control
/// character, refused by both). The reference therefore sees each NUL as 0x01, which nlohmann
/// refuses wherever it stands.
inline reference_result reference_parse(std::string_view original, int max_depth) {
    using json = nlohmann::json;
    std::string text(original);
    for (char& c : text) {
        if (c == '\0') c = '\x01';
    }
    reference_result r;
    if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") {
        r.fault = json_fault::byte_order_mark;
        return r;
    }
    std::vector<std::set<std::string>> open;
    bool duplicate = false;
    bool too_deep = false;
    const json::parser_callback_t cb = [&](int depth, json::parse_event_t event, json& parsed) {
        switch (event) {
            case json::parse_event_t::object_start:
                open.emplace_back();
                if (depth >= max_depth) too_deep = true;
                break;
            case json::parse_event_t::array_start:
                if (depth >= max_depth) too_deep = true;
                break;
            case json::parse_event_t::object_end:
                if (!open.empty()) open.pop_back();
                break;
            case json::parse_event_t::key:
                if (!open.empty() && !open.back().insert(parsed.get<std::string>()).second) duplicate = true;
                break;
            default: break;
        }
        return true;
    };
    try {
        r.value = json::parse(text.begin(), text.end(), cb);
    } catch (const json::out_of_range& e) {
        // 406: "number overflow parsing", a number strtod rounds to infinity.
        r.fault = e.id == 406 ? json_fault::number_too_large : json_fault::syntax;
        return r;
    } catch (const json::exception&) {
        r.fault = json_fault::syntax;
        return r;
    }
    if (duplicate) {
        r.fault = json_fault::duplicate_name;
    } else if (too_deep) {
        r.fault = json_fault::too_deep;
    } else if (!r.value.is_object()) {
        r.fault = json_fault::not_object;
    }
    return r;
}

inline const char* fault_name(json_fault f) {
    switch (f) {
        case json_fault::none: return "accepted";
        case json_fault::byte_order_mark: return "byte order mark";
        case json_fault::syntax: return "syntax";
        case json_fault::number_too_large: return "number too large";
        case json_fault::duplicate_name: return "duplicate name";
        case json_fault::too_deep: return "too deep";
        case json_fault::not_object: return "not an object";
    }
    return "?";
}

/// nlohmann's reading of one number, as its SAX interface reports it.
struct reference_number {
    jwt::detail::json_number::kind type;
    std::uint64_t unsigned_value = 0;
    std::int64_t integer_value = 0;
    double float_value = 0;
    std::string text;  // the number's text, for floats (nlohmann passes it to number_float)
};

/// Every number of an accepted text, in text order, as nlohmann::json reads it.
class number_collector : public nlohmann::json_sax<nlohmann::json> {
public:
    using kind = jwt::detail::json_number::kind;
    std::vector<reference_number> numbers;
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t v) override {
        numbers.push_back({kind::integer, 0, v, 0, {}});
        return true;
    }
    bool number_unsigned(number_unsigned_t v) override {
        numbers.push_back({kind::unsigned_integer, v, 0, 0, {}});
        return true;
    }
    bool number_float(number_float_t v, const string_t& s) override {
        numbers.push_back({kind::floating, 0, 0, v, s});
        return true;
    }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override { return true; }
    bool key(string_t&) override { return true; }
    bool end_object() override { return true; }
    bool start_array(std::size_t) override { return true; }
    bool end_array() override { return true; }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }
};

/// The text of every number in an accepted JSON text, in text order.
inline std::vector<std::string_view> number_spans(std::string_view text) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c == '"') {
            ++i;
            while (text[i] != '"') i += text[i] == '\\' ? std::size_t{2} : std::size_t{1};
            ++i;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            const std::size_t start = i;
            while (i < text.size() && std::string_view("0123456789+-.eE").find(text[i]) != std::string_view::npos) ++i;
            out.push_back(text.substr(start, i - start));
        } else {
            ++i;  // structure, whitespace, and the letters of true, false and null
        }
    }
    return out;
}

/// Whether the number's magnitude fits a double, decided by nlohmann::json alone.
inline bool json_fits_double(std::string_view number) {
    const std::string text = "[" + std::string(number) + "]";
    return !nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false).is_discarded();
}

/// Bit for bit: -0.0 and 0.0 differ (a NaN never occurs here).
inline bool same_double(double a, double b) {
    static_assert(sizeof(double) == sizeof(std::uint64_t));
    std::uint64_t a_bits = 0;
    std::uint64_t b_bits = 0;
    std::memcpy(&a_bits, &a, sizeof a);
    std::memcpy(&b_bits, &b, sizeof b);
    return a_bits == b_bits;
}

/// Compares json_number_value on every number of an accepted text (at any depth) with what
/// nlohmann::json reads there: the same kind (unsigned, signed, double) and the same value,
/// bit for bit.
inline std::string compare_numbers(std::string_view text) {
    using jwt::detail::json_number;
    number_collector sax;
    const std::string copy(text);
    if (!nlohmann::json::sax_parse(copy, &sax)) return "nlohmann's SAX parser refuses an accepted text";
    const std::vector<std::string_view> spans = number_spans(text);
    if (spans.size() != sax.numbers.size()) {
        return "the text has " + std::to_string(spans.size()) + " numbers, nlohmann read " +
               std::to_string(sax.numbers.size());
    }
    for (std::size_t i = 0; i < spans.size(); ++i) {
        const json_number got = jwt::detail::json_number_value(spans[i]);
        const reference_number& want = sax.numbers[i];
        const std::string where = "number " + std::string(spans[i].substr(0, 80)) + (spans[i].size() > 80 ? "..." : "");
        if (got.type != want.type) return where + ": json_number_value has another kind than nlohmann";
        switch (got.type) {
            case json_number::kind::unsigned_integer:
                if (got.unsigned_value != want.unsigned_value) return where + ": another unsigned value";
                break;
            case json_number::kind::integer:
                if (got.integer_value != want.integer_value) return where + ": another integer value";
                break;
            case json_number::kind::floating:
                if (!same_double(got.float_value, want.float_value)) {
                    std::ostringstream message;
                    message.precision(17);  // as %.17g
                    message << where << ": json_number_value " << got.float_value << ", nlohmann " << want.float_value;
                    return message.str();
                }
                break;
        }
        if (!jwt::detail::json_number_fits_double(spans[i]))
            return where + ": accepted, yet json_number_fits_double says no";
    }
    return {};
}

inline nlohmann::json parse_span(std::string_view s) {
    return nlohmann::json::parse(s.begin(), s.end(), nullptr, /*allow_exceptions=*/false);
}

/// Runs json_object_scan and the reference on text; "" when they agree, else what differs.
/// Agreeing means: the same verdict (the scan stops at the first level too deep, so there it
/// may report too_deep where the reference, reading on, finds a syntax error or a duplicate);
/// for an accepted object, the same member names in the same order and, member by member,
/// values that parse to what the reference holds, with the same JSON type; string values
/// and names decode (json_unescape, json_string_equal) to the reference's strings; array
/// elements (json_for_each_element) are the reference's elements; every number, at any depth,
/// has the kind and value under json_number_value that nlohmann::json gives it; and a number
/// refused as too large is one nlohmann::json refuses too.
inline std::string compare_with_reference(std::string_view text, int max_depth = 32) {
    using namespace jwt::detail;
    const reference_result ref = reference_parse(text, max_depth);
    json_object_scan scan;
    const json_fault got = scan.scan(text, max_depth);
    if (got != ref.fault) {
        const bool early_stop = got == json_fault::too_deep &&
                                (ref.fault == json_fault::syntax || ref.fault == json_fault::number_too_large ||
                                 ref.fault == json_fault::duplicate_name);
        if (!early_stop)
            return std::string("scan says ") + fault_name(got) + ", reference says " + fault_name(ref.fault);
    }
    if (got == json_fault::duplicate_name && scan.duplicate().empty() && text.find("\"\"") == std::string_view::npos) {
        return "a duplicate without its name";
    }
    if (got == json_fault::number_too_large && (scan.too_large().empty() || json_fits_double(scan.too_large()))) {
        return "number_too_large without a number too large";
    }
    if (got != json_fault::none) return {};
    if (std::string diff = compare_numbers(text); !diff.empty()) return diff;
    const nlohmann::json& obj = ref.value;
    if (scan.size() != obj.size()) {
        return "scan has " + std::to_string(scan.size()) + " members, reference " + std::to_string(obj.size());
    }
    // nlohmann's object is sorted by name, so the text order comes from the names themselves.
    for (const json_member& m : scan) {
        const std::string name = json_unescape(m.name, m.name_escaped);
        if (m.name_escaped != (m.name.find('\\') != std::string_view::npos)) return "name_escaped is wrong for " + name;
        const auto it = obj.find(name);
        if (it == obj.end()) return "scan has a member the reference lacks: " + nlohmann::json(name).dump();
        if (!json_string_equal(m.name, m.name_escaped, name)) return "json_string_equal differs from json_unescape";
        if (scan.find(name) != &m) return "find() misses " + nlohmann::json(name).dump();
        const nlohmann::json value = parse_span(m.value);
        if (value.is_discarded() || value != *it) return "the value span of " + name + " parses to something else";
        if (std::string(it->type_name()) != json_type_name(m.type)) {
            return "member " + name + " has type " + json_type_name(m.type) + ", reference " + it->type_name();
        }
        if (m.type == json_type::string) {
            const std::string_view body = m.value.substr(1, m.value.size() - 2);
            if (m.value_escaped != (body.find('\\') != std::string_view::npos))
                return "value_escaped is wrong for " + name;
            if (json_unescape(body, m.value_escaped) != it->get<std::string>())
                return "decoded value of " + name + " differs";
            if (!json_string_equal(body, m.value_escaped, it->get<std::string>()))
                return "json_string_equal on a value";
        }
        if (m.type == json_type::array) {
            std::size_t i = 0;
            bool same = true;
            json_for_each_element(m.value, [&](std::string_view e) {
                same = same && i < it->size() && parse_span(e) == (*it)[i] &&
                       std::string((*it)[i].type_name()) == json_type_name(json_type_of(e.front()));
                ++i;
            });
            if (!same || i != it->size()) return "the elements of " + name + " differ";
        }
    }
    return {};
}

}  // namespace jwtmint_test
