// The parts of ECharts the dashboards draw with, bundled by scripts/vendor_static.py into
// static/vendor/echarts/echarts.custom.min.js (window.echarts): the full bundle is 368 KB
// compressed, these parts about a third of it. Add a part here when a chart needs it.
// static/js/dashboard.js: the trend (bar + line on a grid, legend, tooltip) and the map of the
// areas (map, continuous visualMap, labels that hide when they overlap), drawn as SVG.
import { use } from "echarts/core";
import { BarChart, LineChart, MapChart } from "echarts/charts";
import {
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapContinuousComponent,
} from "echarts/components";
import { LabelLayout } from "echarts/features";
import { SVGRenderer } from "echarts/renderers";

use([
  BarChart,
  LineChart,
  MapChart,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapContinuousComponent,
  LabelLayout,
  SVGRenderer,
]);

export { init, registerMap, getInstanceByDom } from "echarts/core";
