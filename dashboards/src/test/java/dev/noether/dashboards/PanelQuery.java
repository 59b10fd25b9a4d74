package dev.noether.dashboards;

/** One PromQL target of a dashboard panel, as written in the dashboard (variables not substituted). */
record PanelQuery(String panelTitle, String refId, String expr, String datasourceUid) {

    /**
     * GPU panels read other exporters (DCGM, nvidia_gpu_exporter) or Noether's NVML gauges, absent on a
     * machine without GPU.
     */
    boolean readsGpuExporter() {
        return expr.contains("DCGM_FI_") || expr.contains("nvidia_smi_") || expr.contains("noether_gpu_");
    }

    @Override
    public String toString() {
        return "panel '" + panelTitle + "' target " + refId + ": " + expr;
    }
}
