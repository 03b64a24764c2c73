// The reports page: each canvas[data-chart] becomes a Chart.js chart of the table beside it.
// The tables hold the same figures, so the page reads fully without charts (or without script).
const palette = ["#0b5cad", "#116329", "#a40e26"];

for (const canvas of document.querySelectorAll("canvas[data-chart]")) {
  const spec = JSON.parse(canvas.dataset.chart);
  new window.Chart(canvas, {
    type: spec.type,
    data: {
      labels: spec.labels,
      datasets: spec.series.map((s, i) => ({ label: s.label, data: s.data, backgroundColor: palette[i % palette.length] })),
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { title: { display: true, text: spec.title } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
}
