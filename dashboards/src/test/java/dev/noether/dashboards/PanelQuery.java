package dev.noether.dashboards;

/** One PromQL target of a dashboard panel, as written in the dashboard (variables not substituted). */
record PanelQuery(String panelTitle, String refId, String expr, String datasourceUid) {

    /** GPU panels read other exporters (DCGM, nvidia_gpu_exporter), absent where Noether runs alone. */
    boolean readsGpuExporter() {
        return expr.contains("DCGM_FI_") || expr.contains("nvidia_smi_");
    }

    @Override
    public String toString() {
        return "panel '" + panelTitle + "' target " + refId + ": " + expr;
    }
}
