/**
 * Progressive enhancement of the leaderboard table: sortable columns and a scaffold
 * filter. Without JavaScript the table is complete, ranked by score.
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
    select.closest('[hidden]')?.removeAttribute('hidden');
    const apply = () => {
      let shown = 0;
      for (const row of Array.from(body.rows)) {
        const keep = select.value === '' || row.dataset.scaffold === select.value;
        row.hidden = !keep;
        if (keep) shown++;
      }
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

for (const table of Array.from(document.querySelectorAll<HTMLTableElement>('table[data-sortable]'))) enhance(table);
