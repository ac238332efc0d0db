// Second llama.cpp peer for `FastInfer.Bench compare`: the llama.cpp bundled with node-llama-cpp.
// Standalone:  node run.mjs --model FILE --threads 2 [--pp 128,512] [--tg 128] [--repeats 3] [--vocab 32000]   -> one JSON object
// Served:      node run.mjs --serve --model FILE --threads 2   -> JSON lines; requests on stdin, one per line:
//              {"op":"pp","tokens":[...]} | {"op":"tg","prompt":[...],"tokens":[...]} | {"op":"peak"} | {"op":"quit"}
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { createInterface } from "node:readline";
import { performance } from "node:perf_hooks";

const args = parseArgs(process.argv.slice(2));
const threads = Number(args.threads ?? 1);
const contextSize = Number(args.context ?? 1024);

const rssBefore = process.memoryUsage().rss;
const loadStart = performance.now();
// The prebuilt binaries only: no download and no source build at run time.
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: threads });
const model = await llama.loadModel({ modelPath: args.model, gpuLayers: 0 });
const context = await model.createContext({ contextSize, batchSize: Math.min(512, contextSize), threads, sequences: 1 });
const sequence = context.getSequence();
const loadSeconds = (performance.now() - loadStart) / 1000;
const cpuFeatures = (llama.systemInfo.match(/CPU : ([^\n]*)/)?.[1] ?? "").split("|")
    .map(f => f.trim()).filter(f => f.endsWith("= 1")).map(f => f.replace(/ = 1$/, "")).join(" ");
const settings = `node-llama-cpp ${llama.buildType} build (release ${llama.llamaCppRelease?.release ?? "?"}; ${cpuFeatures}), ` +
    `KV cache F16, flash attention ${context.flashAttention ? "on" : "off"}`;

// The last prompt token asks for the next token, so the output head runs once, as it does for every generated token.
async function prompt(tokens) {
    await sequence.clearHistory();
    const start = performance.now();
    await sequence.controlledEvaluate(tokens.map((t, i) => i === tokens.length - 1 ? [t, { generateNext: { token: true } }] : t));
    return (performance.now() - start) / 1000;
}

async function generate(promptTokens, tokens) {
    await prompt(promptTokens);
    const start = performance.now();
    for (const t of tokens)
        await sequence.controlledEvaluate([[t, { generateNext: { token: true } }]]);
    return (performance.now() - start) / 1000;
}

const peakBytes = () => process.resourceUsage().maxRSS * 1024 - rssBefore;

if (args.serve) {
    console.log(JSON.stringify({ ready: true, loadSeconds, settings }));
    for await (const line of createInterface({ input: process.stdin })) {
        if (!line.trim())
            continue;
        try {
            const request = JSON.parse(line);
            if (request.op === "quit")
                break;
            else if (request.op === "pp")
                console.log(JSON.stringify({ seconds: await prompt(request.tokens) }));
            else if (request.op === "tg")
                console.log(JSON.stringify({ seconds: await generate(request.prompt, request.tokens) }));
            else if (request.op === "peak")
                console.log(JSON.stringify({ peakBytes: peakBytes() }));
            else
                console.log(JSON.stringify({ error: `unknown op '${request.op}'` }));
        } catch (e) {
            console.log(JSON.stringify({ error: String(e?.message ?? e) }));
        }
    }
} else {
    // Token ids cycle through [3, vocab): pass --vocab for the model's vocabulary size (512 fits every model here).
    const vocabulary = Number(args.vocab ?? 512);
    const tokensOf = n => Array.from({ length: n }, (_, i) => 3 + ((i * 7919) % (vocabulary - 3)));
    const repeats = Number(args.repeats ?? 3);
    const result = { model: args.model, threads, loadSeconds, settings, pp: {}, tg: {} };
    for (const n of String(args.pp ?? "128,512").split(",").map(Number)) {
        const runs = [];
        for (let r = 0; r < repeats; r++)
            runs.push(n / await prompt(tokensOf(n)));
        result.pp[n] = runs;
    }
    const tg = Number(args.tg ?? 128);
    const runs = [];
    for (let r = 0; r < repeats; r++)
        runs.push(tg / await generate(tokensOf(8), tokensOf(tg)));
    result.tg[tg] = runs;
    result.peakBytes = peakBytes();
    console.log(JSON.stringify(result));
}
await context.dispose();
await model.dispose();
process.exit(0);

function parseArgs(list) {
    const parsed = {};
    for (let i = 0; i < list.length; i++) {
        const key = list[i].replace(/^--/, "");
        if (key === "serve")
            parsed.serve = true;
        else
            parsed[key] = list[++i];
    }
    if (!parsed.model)
        throw new Error("--model FILE is required");
    return parsed;
}
