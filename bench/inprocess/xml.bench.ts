/**
 * In-process benchmark of `@mediary/xml` against hand-written fast-xml-parser baselines.
 *
 * `node_modules/.bin/tsx bench/run-all.ts xml`
 *
 * | case | Mediary | baseline |
 * | --- | --- | --- |
 * | JSON → XML, 10 KB | `convertJsonToXml` (plain mode), and the `jsonToXml` step on a message | fast-xml-parser `XMLBuilder.build` |
 * | JSON → XML, the HTTP `xml` scenario's bodies (`jsonPayload`, 1 KB and 100 KB) | `convertJsonToXml` (plain mode, root `root`, declaration), as `bench/server` does | `bench/http/xml.ts` `jsonToXml` (fast-xml-parser `XMLBuilder.build`), as `baseline-xml` does |
 * | XPath filter on a 10 KB XML body | the `filter(xpath.boolean(…))` step on a new message (parse + evaluate), and on a message whose XML view is already parsed | fast-xml-parser `XMLParser.parse` + a property walk |
 *
 * Each case runs `BENCH_ROUNDS` times (default 5, `BENCH_TIME_MS` per task, default 500); the table shows the
 * median over rounds of each round's median ops/s, and the ratio to the baseline (above 1: Mediary faster).
 * `BENCH_GROUPS=payload` (a substring of the group names, comma-separated) runs only the matching groups.
 * The baselines do less than Mediary: no namespaces, no well-formedness checks beyond fast-xml-parser's, no
 * DOCTYPE refusal, no XPath — they are what a hand-written route would do.
 *
 * @module
 */
import {
  createEngine,
  createMessage,
  filter,
  type Mediator,
  type MessageContext,
  silentLogger,
} from '@mediary/core';
import { convertJsonToXml, jsonToXml, readXml, xpath } from '@mediary/xml';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { Bench } from 'tinybench';
import { jsonPayload } from '../http/payload.js';
import { jsonToXml as baselineJsonToXml } from '../http/xml.js';

const TARGET_BYTES = 10 * 1024;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 500);

interface Order {
  readonly '@id'?: string;
  readonly id?: string;
  readonly status: string;
  readonly customer: { readonly name: string; readonly email: string };
  readonly items: readonly { readonly sku: string; readonly qty: number; readonly price: number }[];
  readonly note: string;
}

function order(i: number, idAsAttribute: boolean): Order {
  const id = `o-${i}`;
  return {
    ...(idAsAttribute ? { '@id': id } : { id }),
    status: i % 3 === 0 ? 'shipped' : 'open',
    customer: { name: `Customer ${i}`, email: `customer${i}@example.com` },
    items: [
      { sku: `sku-${i}-a`, qty: 1 + (i % 4), price: 9.99 + i },
      { sku: `sku-${i}-b`, qty: 2, price: 19.5 },
    ],
    note: 'Leave at the door & ring twice',
  };
}

/** The smallest order list whose JSON (or XML) reaches 10 KB. */
function documentOf(size: (orders: Order[]) => number, idAsAttribute: boolean): Order[] {
  const orders: Order[] = [];
  while (orders.length === 0 || size(orders) < TARGET_BYTES) orders.push(order(orders.length, idAsAttribute));
  return orders;
}

const jsonDocument = { orders: documentOf((o) => JSON.stringify({ orders: o }).length, false) };
const xmlOrders = documentOf(
  (o) => convertJsonToXml({ order: o }, { mode: 'plain', root: 'orders' }).length,
  true,
);
const xmlText = convertJsonToXml({ order: xmlOrders }, { mode: 'plain', root: 'orders' });
const xmlBytes = Buffer.from(xmlText, 'utf8');
// An order near the end, so a walk has to go through most of the document.
const wanted = `o-${xmlOrders.length - 3 - ((xmlOrders.length - 3) % 3)}`;
const expression = `/orders/order[@id = "${wanted}"]/status = "shipped"`;

const engine = createEngine({ logger: silentLogger });
const context = (message = createMessage()): MessageContext =>
  ({ message, vars: Object.create(null), engine }) as unknown as MessageContext;

// ── JSON → XML ────────────────────────────────────────────────────────────────────────────────────────
const builder = new XMLBuilder({ ignoreAttributes: true, suppressEmptyNode: false });
const toXmlStep = jsonToXml({ mode: 'plain', root: 'root' });
// The HTTP `xml` scenario's bodies, parsed as its servers parse them.
const smallPayload: unknown = JSON.parse(jsonPayload(1024).toString('utf8'));
const largePayload: unknown = JSON.parse(jsonPayload(102_400).toString('utf8'));
const asServerConverts = (value: unknown): string =>
  convertJsonToXml(value, { mode: 'plain', root: 'root', declaration: true });

async function mediaryStep(): Promise<void> {
  const ctx = context(createMessage({ json: jsonDocument }));
  await toXmlStep.run(ctx);
  await ctx.message.text();
}

// ── XPath filter ──────────────────────────────────────────────────────────────────────────────────────
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_' });
const byXPath: Mediator = filter(xpath.boolean(expression));

function baselineFilter(): boolean {
  const parsed = parser.parse(xmlBytes) as { orders?: { order?: unknown } };
  const orders = parsed.orders?.order;
  const list = (Array.isArray(orders) ? orders : [orders]) as { '@_id'?: string; status?: string }[];
  return list.some((o) => o['@_id'] === wanted && o.status === 'shipped');
}

async function mediaryFilterNewMessage(): Promise<void> {
  const ctx = context(createMessage({ body: xmlBytes, contentType: 'application/xml' }));
  if ((await byXPath.run(ctx)) !== undefined) throw new Error('the filter should hold');
}

const cached = context(createMessage({ body: xmlBytes, contentType: 'application/xml' }));
async function mediaryFilterCachedView(): Promise<void> {
  if ((await byXPath.run(cached)) !== undefined) throw new Error('the filter should hold');
}

// ── Running ───────────────────────────────────────────────────────────────────────────────────────────
interface Case {
  readonly group: string;
  readonly name: string;
  readonly baseline?: boolean;
  readonly fn: () => unknown;
}

const allCases: readonly Case[] = [
  {
    group: 'JSON → XML (10 KB)',
    name: 'fast-xml-parser XMLBuilder.build',
    baseline: true,
    fn: () => builder.build({ root: jsonDocument }),
  },
  {
    group: 'JSON → XML (10 KB)',
    name: 'Mediary convertJsonToXml (plain)',
    fn: () => convertJsonToXml(jsonDocument, { mode: 'plain', root: 'root' }),
  },
  { group: 'JSON → XML (10 KB)', name: 'Mediary jsonToXml step on a message', fn: mediaryStep },
  {
    group: 'JSON → XML (payload 1 KB)',
    name: 'fast-xml-parser XMLBuilder.build (baseline-xml), 1 KB',
    baseline: true,
    fn: () => baselineJsonToXml(smallPayload),
  },
  {
    group: 'JSON → XML (payload 1 KB)',
    name: 'Mediary convertJsonToXml (plain, as bench/server), 1 KB',
    fn: () => asServerConverts(smallPayload),
  },
  {
    group: 'JSON → XML (payload 100 KB)',
    name: 'fast-xml-parser XMLBuilder.build (baseline-xml), 100 KB',
    baseline: true,
    fn: () => baselineJsonToXml(largePayload),
  },
  {
    group: 'JSON → XML (payload 100 KB)',
    name: 'Mediary convertJsonToXml (plain, as bench/server), 100 KB',
    fn: () => asServerConverts(largePayload),
  },
  {
    group: 'XPath filter (10 KB XML)',
    name: 'fast-xml-parser parse + walk',
    baseline: true,
    fn: baselineFilter,
  },
  {
    group: 'XPath filter (10 KB XML)',
    name: 'Mediary filter(xpath), new message',
    fn: mediaryFilterNewMessage,
  },
  {
    group: 'XPath filter (10 KB XML)',
    name: 'Mediary filter(xpath), cached view',
    fn: mediaryFilterCachedView,
  },
];

const groupFilter = process.env.BENCH_GROUPS?.split(',').filter((part) => part !== '');
const cases =
  groupFilter === undefined
    ? allCases
    : allCases.filter((c) => groupFilter.some((part) => c.group.includes(part)));

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  // Sanity: every variant answers the same question the same way before anything is timed.
  if (!baselineFilter()) throw new Error(`the baseline filter does not hold for ${wanted}`);
  await mediaryFilterNewMessage();
  await readXml(cached.message);
  const parsedBack = parser.parse(convertJsonToXml(jsonDocument, { mode: 'plain', root: 'root' })) as {
    root: { orders: unknown[] };
  };
  if (parsedBack.root.orders.length !== jsonDocument.orders.length) throw new Error('conversion lost orders');
  const payloadBack = parser.parse(asServerConverts(largePayload)) as { root: { items: unknown[] } };
  if (payloadBack.root.items.length !== (largePayload as { items: unknown[] }).items.length) {
    throw new Error('conversion lost payload items');
  }

  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const bench = new Bench({ time: TIME_MS, warmupTime: Math.min(200, TIME_MS), throws: true });
    for (const c of cases) bench.add(c.name, c.fn);
    await bench.run();
    for (const task of bench.tasks) {
      const result = task.result;
      if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`);
      samples.get(task.name)!.push(result.throughput.p50);
    }
  }

  console.log(
    `Node ${process.version}; JSON ${JSON.stringify(jsonDocument).length} B, XML ${xmlBytes.byteLength} B; ` +
      `${ROUNDS} rounds × ${TIME_MS} ms per task; XPath: ${expression}`,
  );
  const rows = [];
  for (const group of new Set(cases.map((c) => c.group))) {
    const inGroup = cases.filter((c) => c.group === group);
    const baseline = median(samples.get(inGroup.find((c) => c.baseline)!.name)!);
    for (const c of inGroup) {
      const opsPerSecond = median(samples.get(c.name)!);
      rows.push({
        case: group,
        implementation: c.name,
        'median ops/s': Math.round(opsPerSecond),
        'vs baseline': c.baseline ? '1.00' : (opsPerSecond / baseline).toFixed(2),
      });
    }
  }
  console.table(rows);
}

await main();
