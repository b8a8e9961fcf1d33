#pragma once
// The `sgdnoise indicators` report as JSON and as a human-readable table. Undefined values
// are {"status": "undefined", "reason": ...}, never NaN (docs/conventions.md, numbers in outputs);
// every spectrum says its method, whether it converged and how many operations it took.
#include <nlohmann/json.hpp>
#include <string>

#include "scenario/point_indicators.hpp"

namespace sgdnoise {

nlohmann::json point_report_json(const PointReport& r);
std::string point_report_text(const PointReport& r);

}  // namespace sgdnoise
