#pragma once
// `sgdnoise figures`: regenerates the papers' theory figures from the manifest
// plots/figures.toml. Each figure is a list of commands (sgdnoise runs or sweeps, then a
// plot script) that write run directories under OUT/runs and the figure as
// OUT/NAME.png, .pdf and .json (the numbers behind it). The figure's status combines
// the checks of its runs and sweeps with the check its plot script records in the JSON.
// OUT/gallery.json and OUT/gallery.md list every figure, its command and its status.
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace sgdnoise {

struct FiguresOptions {
  bool quick = false, list = false, keep_going = true;
  std::string out = "figures";
  std::string manifest = "plots/figures.toml";
  std::vector<std::string> only;
  int threads = 1;
};

/// One figure of the manifest.
struct FigureSpec {
  std::string name, paper, title, caption;
  std::vector<std::vector<std::string>> commands;  // argv, with {placeholders}
  std::vector<std::string> quick_set;              // --set overrides under --quick
  std::vector<std::string> full_set;               // --set overrides at full size
};

/// Parses and validates the manifest (InputError naming file, line and key).
std::vector<FigureSpec> load_figure_manifest(const std::string& file);

/// Expands one command's placeholders and adds --threads/--force and the size overrides
/// to sgdnoise run/sweep/check commands. `self` is the sgdnoise executable.
std::vector<std::string> expand_figure_command(const std::vector<std::string>& argv, const FigureSpec& f,
                                               const FiguresOptions& o, const std::string& self,
                                               const std::string& runs_dir);

CLI::App* add_figures_command(CLI::App& app, FiguresOptions& o);
int cmd_figures(const FiguresOptions& o);

}  // namespace sgdnoise
