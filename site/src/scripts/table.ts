/**
 * Progressive enhancement of the leaderboard: sortable columns, a scaffold filter for the
 * table and the score chart, and Escape to close a penalty's tooltip. Without JavaScript
 * the table and the chart are complete, ranked by score.
 */
function enhance(table: HTMLTableElement): void {
  const body = table.tBodies[0];
  if (!body) return;
  const headers = Array.from(table.tHead?.rows[0]?.cells ?? []);
  headers.forEach((th, index) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.title = `Sort by ${th.textContent?.trim() ?? ''}`;
    while (th.firstChild) button.appendChild(th.firstChild);
    th.appendChild(button);
    button.addEventListener('click', () => {
      const ascending =
        th.getAttribute('aria-sort') === 'descending' ? true : th.getAttribute('aria-sort') === 'ascending' ? false : index <= 1;
      for (const other of headers) other.removeAttribute('aria-sort');
      th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      sortRows(body, index, ascending);
    });
  });

  const select = document.getElementById('scaffold-filter') as HTMLSelectElement | null;
  const count = document.getElementById('filter-count');
  if (select) {
    // Reference bars carry no scaffold and always stay: they frame the agents.
    const bars = Array.from(document.querySelectorAll<HTMLElement>('#score-chart li[data-scaffold]'));
    const apply = () => {
      let shown = 0;
      for (const row of Array.from(body.rows)) {
        const keep = select.value === '' || row.dataset.scaffold === select.value;
        row.hidden = !keep;
        if (keep) shown++;
      }
      for (const bar of bars) bar.hidden = !(select.value === '' || bar.dataset.scaffold === select.value);
      if (count) count.textContent = `${shown} of ${body.rows.length} agents shown`;
    };
    select.addEventListener('change', apply);
    apply();
  }
}

function sortRows(body: HTMLTableSectionElement, column: number, ascending: boolean): void {
  const key = (row: HTMLTableRowElement) => row.cells[column]?.dataset.v ?? '';
  const rows = Array.from(body.rows);
  rows.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    // Empty values (no data) always sort last.
    if (x === '' || y === '') return x === y ? 0 : x === '' ? 1 : -1;
    const nx = Number(x);
    const ny = Number(y);
    const cmp = Number.isFinite(nx) && Number.isFinite(ny) ? nx - ny : x.localeCompare(y);
    return ascending ? cmp : -cmp;
  });
  for (const row of rows) body.appendChild(row);
}

/** Escape hides an open tooltip (WCAG 1.4.13) until the pointer or focus leaves its mark. */
function dismissibleTips(): void {
  const marks = Array.from(document.querySelectorAll<HTMLElement>('.pen'));
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    for (const mark of marks) if (mark.matches(':hover, :focus, :focus-within')) mark.classList.add('tip-closed');
  });
  for (const mark of marks) {
    const reopen = () => mark.classList.remove('tip-closed');
    mark.addEventListener('blur', reopen);
    mark.addEventListener('mouseleave', reopen);
  }
}

for (const table of Array.from(document.querySelectorAll<HTMLTableElement>('table[data-sortable]'))) enhance(table);
dismissibleTips();
