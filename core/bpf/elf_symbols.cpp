#include "elf_symbols.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "usage_error.h"

namespace ringside {
namespace {

// Whether a symbol table section holds a defined function named `name`.
bool has_function(Elf* elf, Elf_Scn* scn, const GElf_Shdr& shdr, const std::string& name) {
  Elf_Data* data = elf_getdata(scn, nullptr);
  if (!data || shdr.sh_entsize == 0) return false;
  const std::size_t count = shdr.sh_size / shdr.sh_entsize;
  for (std::size_t i = 0; i < count; ++i) {
    GElf_Sym sym;
    if (!gelf_getsym(data, static_cast<int>(i), &sym)) continue;
    if (GELF_ST_TYPE(sym.st_info) != STT_FUNC && GELF_ST_TYPE(sym.st_info) != STT_GNU_IFUNC) continue;
    if (sym.st_shndx == SHN_UNDEF) continue;
    const char* n = elf_strptr(elf, shdr.sh_link, sym.st_name);
    if (!n) continue;
    // versioned names in .dynsym read "malloc@@GLIBC_2.2.5" in some tools; libbpf matches the base
    const std::string_view sv(n);
    if (sv == name || (sv.starts_with(name) && sv.size() > name.size() && sv[name.size()] == '@')) return true;
  }
  return false;
}

}  // namespace

std::optional<FunctionTarget> parse_function_target(std::string_view text, std::string* why) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
    if (why) *why = fmt::format("expected PATH:SYMBOL, got '{}'", text);
    return std::nullopt;
  }
  return FunctionTarget{std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
}

void check_function_target(const FunctionTarget& t) {
  const std::string what = fmt::format("--function {}:{}", t.path, t.symbol);
  const int fd = ::open(t.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::string reason = std::strerror(errno);
    reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
    throw UsageError(fmt::format("{}: {}", what, reason));
  }
  elf_version(EV_CURRENT);
  Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
  if (!elf || elf_kind(elf) != ELF_K_ELF) {
    if (elf) elf_end(elf);
    ::close(fd);
    throw UsageError(fmt::format("{}: {} is not an ELF file", what, t.path));
  }
  bool symtab = false, found = false;
  for (Elf_Scn* scn = nullptr; !found && (scn = elf_nextscn(elf, scn)) != nullptr;) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr)) continue;
    if (shdr.sh_type == SHT_SYMTAB) symtab = true;
    if (shdr.sh_type == SHT_SYMTAB || shdr.sh_type == SHT_DYNSYM) found = has_function(elf, scn, shdr, t.symbol);
  }
  elf_end(elf);
  ::close(fd);
  if (found) return;
  if (!symtab)
    throw UsageError(fmt::format("{}: {} is stripped (no .symtab) and '{}' is not in its .dynsym", what, t.path, t.symbol));
  throw UsageError(fmt::format("{}: no function '{}' in the symbol tables of {}", what, t.symbol, t.path));
}

std::optional<std::string> mapped_library(pid_t pid, std::string_view prefix) {
  std::ifstream maps(fmt::format("/proc/{}/maps", pid));
  std::string line;
  while (std::getline(maps, line)) {
    // address perms offset dev inode path
    std::istringstream in(line);
    std::string addr, perms, offset, dev, inode, path;
    if (!(in >> addr >> perms >> offset >> dev >> inode >> path) || path.empty() || path[0] != '/') continue;
    const std::string name = std::filesystem::path(path).filename().string();
    if (name.rfind(prefix, 0) == 0) return fmt::format("/proc/{}/root{}", pid, path);
  }
  return std::nullopt;
}

}  // namespace ringside
