#pragma once
// A small well-formedness check for the XML the report writes (SVG): balanced
// and properly nested tags, quoted attributes, escaped text, one root element.
// Not a validating parser; enough to catch an unescaped '<' or '&' in a variant
// name or a tag left open.
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace bitlab::testing {

// "" when `text` is well-formed, otherwise what is wrong and where.
inline std::string xml_problem(std::string_view text) {
  std::vector<std::string> open;
  int roots = 0;
  size_t i = 0;
  auto at = [&](size_t pos) { return " at offset " + std::to_string(pos); };
  auto check_entity = [&](size_t pos) -> std::string {
    size_t end = text.find(';', pos);
    if (end == std::string_view::npos || end - pos > 8) return "bare '&'" + at(pos);
    std::string_view name = text.substr(pos + 1, end - pos - 1);
    if (name == "amp" || name == "lt" || name == "gt" || name == "quot" || name == "apos" ||
        (!name.empty() && name[0] == '#')) {
      return "";
    }
    return "unknown entity" + at(pos);
  };
  while (i < text.size()) {
    char c = text[i];
    if (c == '&') {
      if (auto p = check_entity(i); !p.empty()) return p;
      ++i;
      continue;
    }
    if (c != '<') {
      if (open.empty() && !std::isspace(static_cast<unsigned char>(c))) return "text outside the root" + at(i);
      ++i;
      continue;
    }
    if (text.substr(i, 4) == "<!--") {
      size_t end = text.find("-->", i);
      if (end == std::string_view::npos) return "unterminated comment" + at(i);
      i = end + 3;
      continue;
    }
    if (text.substr(i, 2) == "<?") {
      size_t end = text.find("?>", i);
      if (end == std::string_view::npos) return "unterminated declaration" + at(i);
      i = end + 2;
      continue;
    }
    bool closing = i + 1 < text.size() && text[i + 1] == '/';
    size_t j = i + (closing ? 2 : 1);
    size_t name_start = j;
    while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '-' ||
                               text[j] == ':' || text[j] == '_')) {
      ++j;
    }
    std::string name(text.substr(name_start, j - name_start));
    if (name.empty()) return "bad tag name" + at(i);
    if (closing) {
      if (j >= text.size() || text[j] != '>') return "bad closing tag" + at(i);
      if (open.empty() || open.back() != name) return "</" + name + "> closes nothing open" + at(i);
      open.pop_back();
      i = j + 1;
      continue;
    }
    // Attributes: name="value", separated by whitespace.
    while (true) {
      while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
      if (j >= text.size()) return "unterminated tag <" + name + ">" + at(i);
      if (text[j] == '>' || text.substr(j, 2) == "/>") break;
      size_t a = j;
      while (j < text.size() && text[j] != '=' && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
      if (j == a || j + 1 >= text.size() || text[j] != '=' || (text[j + 1] != '"' && text[j + 1] != '\'')) {
        return "attribute without a quoted value in <" + name + ">" + at(a);
      }
      char quote = text[j + 1];
      size_t end = text.find(quote, j + 2);
      if (end == std::string_view::npos) return "unterminated attribute" + at(a);
      for (size_t k = j + 2; k < end; ++k) {
        if (text[k] == '<') return "'<' in an attribute value" + at(k);
        if (text[k] == '&') {
          if (auto p = check_entity(k); !p.empty()) return p;
        }
      }
      j = end + 1;
    }
    bool self_closing = text[j] == '/';
    if (open.empty()) ++roots;
    if (!self_closing) open.push_back(name);
    i = j + (self_closing ? 2 : 1);
  }
  if (!open.empty()) return "<" + open.back() + "> is never closed";
  if (roots != 1) return std::to_string(roots) + " root elements";
  return "";
}

}  // namespace bitlab::testing
