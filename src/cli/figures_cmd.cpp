#include "cli/figures_cmd.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <iomanip>
#include <map>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "io/durable.hpp"
#include "scenario/scenario.hpp"
#include "core/version.hpp"

namespace sgdnoise {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string where_of(const std::string& file, const toml::node& n) {
  return file + ":" + std::to_string(n.source().begin.line);
}

std::vector<std::string> string_array(const std::string& file, const toml::table& t, const std::string& key,
                                      const std::string& path) {
  std::vector<std::string> v;
  const toml::node* n = t.get(key);
  if (!n) return v;
  const toml::array* a = n->as_array();
  if (!a) throw InputError(where_of(file, *n), path, "expected an array of strings");
  for (const auto& e : *a) {
    if (!e.is_string()) throw InputError(where_of(file, e), path, "expected an array of strings");
    v.push_back(**e.as_string());
  }
  return v;
}

std::string required_string(const std::string& file, const toml::table& t, const std::string& key,
                            const std::string& path, const toml::node& at) {
  const toml::node* n = t.get(key);
  if (!n) throw InputError(where_of(file, at), path, "required");
  if (!n->is_string() || n->as_string()->get().empty())
    throw InputError(where_of(file, *n), path, "expected a non-empty string");
  return **n->as_string();
}

// The sgdnoise executable running now, for the figure commands to call.
std::string self_path() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("sgdnoise") : p.string();
}

// Runs argv in `cwd` with stdout and stderr appended to `log`; returns the exit status
// (128 + signal when killed, 127 when it could not start).
int run_process(const std::vector<std::string>& argv, const fs::path& cwd, const fs::path& log) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return 127;
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    if (::chdir(cwd.c_str()) != 0) ::_exit(127);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return 127;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 127;
}

// A Markdown table cell: no pipes or line breaks.
std::string cell(std::string s) {
  for (auto& ch : s)
    if (ch == '|' || ch == '\n') ch = ch == '|' ? '/' : ' ';
  return s;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& a : v) s += (s.empty() ? "" : " ") + (a.find(' ') == std::string::npos ? a : "'" + a + "'");
  return s;
}

// What the checks of one figure say: runs' summary.json, sweeps' sweep.json and the
// check the plot script recorded in the figure's JSON.
struct FigureStatus {
  int checks = 0, failed = 0;
  std::vector<std::string> reasons;
};

void read_checks(const fs::path& file, FigureStatus& st) {
  std::ifstream in(file);
  if (!in) return;
  json j;
  try {
    j = json::parse(in);
  } catch (const json::exception&) {
    st.failed++, st.checks++;
    st.reasons.push_back(file.string() + " is not valid JSON");
    return;
  }
  if (j.contains("checks") && j["checks"].is_array()) {
    for (const auto& c : j["checks"]) {
      st.checks++;
      if (!c.value("passed", false)) {
        st.failed++;
        st.reasons.push_back(file.parent_path().filename().string() + ": " + c.value("result", std::string("?")) + " " +
                             c.value("reason", std::string()));
      }
    }
  }
  if (j.contains("points") && j["points"].is_array()) {  // a sweep: each point's checks
    for (const auto& p : j["points"]) {
      if (!p.contains("checks") || !p["checks"].is_array()) continue;
      for (const auto& c : p["checks"]) {
        st.checks++;
        if (!c.value("passed", false)) {
          st.failed++;
          st.reasons.push_back(p.value("label", std::string("point")) + ": " + c.value("result", std::string("?")));
        }
      }
    }
  }
  if (j.contains("trends") && j["trends"].is_array()) {
    for (const auto& t : j["trends"]) {
      st.checks++;
      if (!t.value("passed", false)) {
        st.failed++;
        st.reasons.push_back("trend " + t.value("trend", std::string("?")) + " " + t.value("reason", std::string()));
      }
    }
  }
  if (j.contains("check") && j["check"].is_object()) {  // the plot script's own check
    st.checks++;
    if (!j["check"].value("passed", false)) {
      st.failed++;
      st.reasons.push_back(j["check"].value("reason", std::string("the figure's check failed")));
    }
  }
}

}  // namespace

std::vector<FigureSpec> load_figure_manifest(const std::string& file) {
  toml::table root;
  try {
    root = toml::parse_file(file);
  } catch (const toml::parse_error& e) {
    throw InputError(file + ":" + std::to_string(e.source().begin.line), "", std::string(e.description()));
  }
  for (const auto& [k, v] : root)
    if (k.str() != "figure") throw InputError(where_of(file, v), std::string(k.str()), "unknown key");
  const toml::array* figs = root["figure"].as_array();
  if (!figs || figs->empty()) throw InputError(file, "figure", "expected at least one [[figure]] table");
  static const std::set<std::string> known = {"name", "paper", "title", "caption", "commands", "quick_set", "full_set"};
  std::vector<FigureSpec> out;
  std::set<std::string> names;
  for (std::size_t i = 0; i < figs->size(); ++i) {
    const toml::node& node = *figs->get(i);
    const toml::table* t = node.as_table();
    const std::string path = "figure." + std::to_string(i);
    if (!t) throw InputError(where_of(file, node), path, "expected a table");
    for (const auto& [k, v] : *t)
      if (!known.count(std::string(k.str())))
        throw InputError(where_of(file, v), path + "." + std::string(k.str()), "unknown key");
    FigureSpec f;
    f.name = required_string(file, *t, "name", path + ".name", node);
    if (!std::all_of(f.name.begin(), f.name.end(),
                     [](char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'; }))
      throw InputError(where_of(file, *t->get("name")), path + ".name", "use lower-case letters, digits and _");
    if (!names.insert(f.name).second)
      throw InputError(where_of(file, *t->get("name")), path + ".name", "duplicate figure name \"" + f.name + "\"");
    f.paper = required_string(file, *t, "paper", path + ".paper", node);
    f.title = required_string(file, *t, "title", path + ".title", node);
    f.caption = required_string(file, *t, "caption", path + ".caption", node);
    const toml::node* cn = t->get("commands");
    if (!cn || !cn->as_array() || cn->as_array()->empty())
      throw InputError(where_of(file, cn ? *cn : node), path + ".commands", "expected an array of commands");
    for (const auto& c : *cn->as_array()) {
      const toml::array* a = c.as_array();
      if (!a || a->empty())
        throw InputError(where_of(file, c), path + ".commands", "each command is an array of strings");
      std::vector<std::string> argv;
      for (const auto& e : *a) {
        if (!e.is_string()) throw InputError(where_of(file, e), path + ".commands", "each argument is a string");
        argv.push_back(**e.as_string());
      }
      f.commands.push_back(std::move(argv));
    }
    f.quick_set = string_array(file, *t, "quick_set", path + ".quick_set");
    f.full_set = string_array(file, *t, "full_set", path + ".full_set");
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<std::string> expand_figure_command(const std::vector<std::string>& argv, const FigureSpec& f,
                                               const FiguresOptions& o, const std::string& self,
                                               const std::string& runs_dir) {
  const std::string out_dir = fs::absolute(o.out).string();
  const std::map<std::string, std::string> vars = {{"{sgdnoise}", self},
                                                   {"{python}", "/usr/bin/python3"},
                                                   {"{runs}", runs_dir},
                                                   {"{out}", out_dir},
                                                   {"{figure}", (fs::path(out_dir) / f.name).string()},
                                                   {"{threads}", std::to_string(o.threads)}};
  std::vector<std::string> v;
  for (std::string a : argv) {
    for (const auto& [k, val] : vars)
      for (std::size_t p = a.find(k); p != std::string::npos; p = a.find(k, p + val.size()))
        a.replace(p, k.size(), val);
    v.push_back(std::move(a));
  }
  if (!argv.empty() && argv[0] == "{sgdnoise}" && v.size() > 1 &&
      (v[1] == "run" || v[1] == "sweep" || v[1] == "check")) {
    v.insert(v.end(), {"--threads", std::to_string(o.threads)});
    if (v[1] != "check") v.emplace_back("--force");
    for (const auto& s : o.quick ? f.quick_set : f.full_set) v.insert(v.end(), {"--set", s});
  }
  return v;
}

CLI::App* add_figures_command(CLI::App& app, FiguresOptions& o) {
  auto* c = app.add_subcommand("figures", "Regenerate the papers' theory figures (PNG, PDF, JSON) and the gallery");
  c->add_flag("--quick", o.quick, "Reduced sizes, as the demo and CI use");
  c->add_option("--out", o.out, "Output directory (default figures/)");
  c->add_option("--only", o.only, "Only these figures (repeatable)");
  c->add_option("--manifest", o.manifest, "The figure manifest (default plots/figures.toml)");
  c->add_option("--threads", o.threads, "Threads for every run (results do not depend on it)")
      ->check(CLI::Range(1, 1024));
  c->add_flag("--list", o.list, "List the figures and exit");
  return c;
}

int cmd_figures(const FiguresOptions& o) {
  const std::vector<FigureSpec> all = load_figure_manifest(o.manifest);
  if (o.list) {
    for (const auto& f : all) std::cout << std::left << std::setw(28) << f.name << f.paper << ": " << f.title << "\n";
    return 0;
  }
  std::vector<const FigureSpec*> chosen;
  for (const auto& name : o.only) {
    bool found = false;
    for (const auto& f : all) found = found || f.name == name;
    if (!found) throw InputError("sgdnoise figures", "--only", "no figure named \"" + name + "\" (see --list)");
  }
  for (const auto& f : all)
    if (o.only.empty() || std::find(o.only.begin(), o.only.end(), f.name) != o.only.end()) chosen.push_back(&f);

  // Commands run from the repository root (the manifest's folder's parent), so the paths
  // in the manifest are those a user types there.
  const fs::path root = fs::absolute(o.manifest).parent_path().parent_path();
  const fs::path out = fs::absolute(o.out), runs = out / "runs", logs = out / "logs";
  fs::create_directories(runs);
  fs::create_directories(logs);
  const std::string self = self_path();

  // The gallery keeps the entries of figures not rebuilt this time.
  json gallery = json::object();
  if (std::ifstream in(out / "gallery.json"); in) {
    try {
      gallery = json::parse(in);
    } catch (const json::exception&) {
      gallery = json::object();
    }
  }
  if (!gallery.contains("figures") || !gallery["figures"].is_object()) gallery["figures"] = json::object();

  int worst = 0;
  std::size_t i = 0;
  for (const FigureSpec* f : chosen) {
    ++i;
    const auto t0 = std::chrono::steady_clock::now();
    const fs::path log = logs / (f->name + ".log");
    fs::remove(log);
    std::cerr << "[" << i << "/" << chosen.size() << "] " << f->name << " (" << f->paper << ")..." << std::flush;
    int rc = 0;
    std::string failed_command;
    FigureStatus st;
    for (const auto& argv : f->commands) {
      const auto cmd = expand_figure_command(argv, *f, o, self, runs.string());
      {
        std::ofstream l(log, std::ios::app);
        l << "$ " << join(cmd) << "\n";
      }
      rc = run_process(cmd, root, log);
      if (rc != 0 && !(cmd[0] == self && rc == 1)) {  // exit 1 of sgdnoise: a check failed, the run is written
        failed_command = join(cmd);
        break;
      }
      rc = 0;
      // The run or sweep directory this command wrote holds its checks.
      if (cmd[0] == self)
        for (std::size_t a = 0; a + 1 < cmd.size(); ++a)
          if (cmd[a] == "--out") {
            read_checks(fs::path(cmd[a + 1]) / "summary.json", st);
            read_checks(fs::path(cmd[a + 1]) / "sweep.json", st);
          }
    }
    read_checks(out / (f->name + ".json"), st);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::string status, reason;
    if (rc != 0) {
      status = "error";
      reason = "command exited " + std::to_string(rc) + ": " + failed_command + " (log: " + log.string() + ")";
      worst = std::max(worst, 3);
    } else if (st.failed > 0) {
      status = "check failed";
      for (const auto& r : st.reasons) reason += (reason.empty() ? "" : "; ") + r;
      worst = std::max(worst, 1);
    } else if (st.checks == 0) {
      status = "no check";
    } else {
      status = "passed";
    }
    std::cerr << " " << status << " (" << std::fixed << std::setprecision(1) << secs << " s)"
              << (reason.empty() ? "" : ": " + reason) << "\n";
    json e;
    e["paper"] = f->paper;
    e["title"] = f->title;
    e["caption"] = f->caption;
    e["command"] = std::string("sgdnoise figures") + (o.quick ? " --quick" : "") + " --only " + f->name;
    e["status"] = status;
    e["checks"] = st.checks;
    e["failed_checks"] = st.failed;
    e["reason"] = reason;
    e["quick"] = o.quick;
    e["seconds"] = secs;
    e["files"] = json::array();
    for (const char* ext : {".png", ".pdf", ".json"})
      if (fs::exists(out / (f->name + ext))) e["files"].push_back(f->name + ext);
    gallery["figures"][f->name] = std::move(e);
  }
  gallery["version"] = std::string(kVersion) + " (" + kGitHash + ")";
  write_file_atomically(out / "gallery.json", gallery.dump(2) + "\n");

  // The README gallery, in the manifest's order.
  std::ostringstream md;
  md << "| figure | what it shows | command | check |\n|---|---|---|---|\n";
  for (const auto& f : all) {
    if (!gallery["figures"].contains(f.name)) continue;
    const json& e = gallery["figures"][f.name];
    const std::string rel = fs::relative(out, root).string();
    md << "| ![" << f.name << "](" << rel << "/" << f.name << ".png) **" << f.title << "** (" << f.paper << ") | "
       << cell(f.caption) << " | `" << e.value("command", std::string()) << "` | " << e.value("status", std::string())
       << (e.value("reason", std::string()).empty() ? "" : ": " + cell(e.value("reason", std::string()))) << " |\n";
  }
  write_file_atomically(out / "gallery.md", md.str());
  std::cerr << "figures written to " << out.string() << " (gallery.json, gallery.md)\n";
  return worst;
}

}  // namespace sgdnoise
