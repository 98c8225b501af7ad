"""Ingest speed, side by side with what a user would otherwise reach for.

Builds three event files with TensorBoard's own writer (cached in benchmarks/data/):
  scalars   1,000,000 simple_value scalars: 20 tags x 50,000 steps
  tags200   1,000,000 simple_value scalars: 200 tags x 5,000 steps
  tf2       1,000,000 TF2 tensor summaries (tensor_content, "scalars" plugin): 20 tags x 50,000 steps
and times, alternating and repeated, the CPU seconds to get a long (tag, step, value, wall_time)
frame of every point from:
  lossrules       lossrules.load_frame(folder)               (CRCs checked)
  tbparse         SummaryReader(folder).scalars (.tensors for tf2)
  accumulator     EventAccumulator(size_guidance 0) -> the same frame
  rustboard       TensorBoard's Rust data server, one load cycle, --checksum (CPU of its process)
It checks that lossrules returns exactly the values protobuf decoding gives, measures lossrules'
peak memory (tracemalloc) against the size of the frame it returns, and what ``lossrules --help``
imports. Run: python benchmarks/ingest.py [--repeat 3] [--only scalars,tf2] [--skip tbparse]
"""
from __future__ import annotations

import argparse
import gc
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
FILES = {
    "scalars": {"tags": 20, "steps": 50_000, "tensor": False},
    "tags200": {"tags": 200, "steps": 5_000, "tensor": False},
    "tf2": {"tags": 20, "steps": 50_000, "tensor": True},
}


def build(name: str, tags: int, steps: int, tensor: bool) -> Path:
    """Write the file with tensorboard's EventFileWriter, once; return its folder."""
    folder = DATA / name
    if folder.is_dir() and any(folder.iterdir()):
        return folder
    from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    tmp = DATA / f".{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    writer = EventFileWriter(str(tmp), max_queue_size=1024)
    rng = np.random.default_rng(0)
    names = [f"group_{i % 7}/metric_{i:03d}" for i in range(tags)]
    meta = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))
    shape = tensor_shape_pb2.TensorShapeProto()
    for step in range(steps):
        values = rng.standard_normal(tags).astype(np.float32)
        for tag, value in zip(names, values):
            if tensor:
                proto = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, tensor_shape=shape, tensor_content=value.tobytes())
                summary_value = summary_pb2.Summary.Value(tag=tag, tensor=proto, metadata=meta)
            else:
                summary_value = summary_pb2.Summary.Value(tag=tag, simple_value=float(value))
            event = event_pb2.Event(wall_time=1.7e9 + step * 0.05, step=step, summary=summary_pb2.Summary(value=[summary_value]))
            writer.add_event(event)
    writer.close()
    tmp.rename(folder)
    return folder


def cpu() -> float:
    return time.process_time()


def run_lossrules(folder: Path, tensor: bool):
    import lossrules

    return lossrules.load_frame(folder)


def run_tbparse(folder: Path, tensor: bool):
    from tbparse import SummaryReader

    reader = SummaryReader(str(folder), pivot=False)
    return reader.tensors if tensor else reader.scalars


def run_accumulator(folder: Path, tensor: bool):
    import pandas as pd
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util

    acc = EventAccumulator(str(folder), size_guidance={"scalars": 0, "tensors": 0})
    acc.Reload()
    rows = {"tag": [], "step": [], "value": [], "wall_time": []}
    kind = "tensors" if tensor else "scalars"
    for tag in acc.Tags()[kind]:
        for ev in acc.Tensors(tag) if tensor else acc.Scalars(tag):
            rows["tag"].append(tag)
            rows["step"].append(ev.step)
            rows["value"].append(float(tensor_util.make_ndarray(ev.tensor_proto)) if tensor else ev.value)
            rows["wall_time"].append(ev.wall_time)
    return pd.DataFrame(rows)


def run_rustboard(folder: Path, tensor: bool) -> float:
    """CPU seconds (user + system) of one --checksum load cycle of TensorBoard's data server."""
    import tensorboard_data_server

    binary = tensorboard_data_server.server_binary()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(
        [binary, "--logdir", str(folder), "--reload", "once", "--samples-per-plugin", "scalars=all",
         "--port", "0", "--host", "127.0.0.1", "--checksum", "-v"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    for line in proc.stderr:
        if "Finished load cycle" in line:
            break
    proc.terminate()
    proc.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def timed(fn, folder: Path, tensor: bool) -> tuple[float, object]:
    gc.collect()
    start = cpu()
    out = fn(folder, tensor)
    if isinstance(out, float):
        return out, None
    return cpu() - start, out


def same_values(ours, reference) -> bool:
    """Same points as protobuf decoding (EventAccumulator): tags, steps, values, wall times."""
    a = ours.drop(columns="run").sort_values(["tag", "step"], kind="stable").reset_index(drop=True)
    b = reference.sort_values(["tag", "step"], kind="stable").reset_index(drop=True)
    return (
        len(a) == len(b)
        and (a["tag"].astype(str).to_numpy() == b["tag"].astype(str).to_numpy()).all()
        and np.array_equal(a["step"].to_numpy(), b["step"].to_numpy())
        and np.array_equal(a["value"].to_numpy(), b["value"].to_numpy().astype(np.float64), equal_nan=True)
        and np.array_equal(a["wall_time"].to_numpy(), b["wall_time"].to_numpy())
    )


def peak_memory(folder: Path) -> tuple[float, float]:
    """(peak traced MB while loading, MB of the frame returned)."""
    import lossrules

    lossrules.load_frame(folder)  # warm imports so they do not count
    gc.collect()
    tracemalloc.start()
    frame = lossrules.load_frame(folder)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6, frame.memory_usage(deep=True).sum() / 1e6


def help_imports() -> tuple[bool, float]:
    """Whether `lossrules --help` imports pandas or scipy, and its wall time in seconds."""
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "lossrules", "--help"], capture_output=True, text=True, check=True
    )
    elapsed = time.perf_counter() - start
    modules = set(re.findall(r"\|\s+(\S+)\s*$", out.stderr, re.MULTILINE))
    return bool({"pandas", "scipy"} & modules), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default=",".join(FILES))
    parser.add_argument("--skip", default="", help="comma-separated tools to skip")
    args = parser.parse_args()
    tools = {"lossrules": run_lossrules, "tbparse": run_tbparse, "accumulator": run_accumulator, "rustboard": run_rustboard}
    for name in args.skip.split(","):
        tools.pop(name, None)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, numpy {np.__version__}")
    rows = []
    for name in args.only.split(","):
        spec = FILES[name]
        folder = build(name, **spec)
        size = sum(f.stat().st_size for f in folder.iterdir()) / 1e6
        points = spec["tags"] * spec["steps"]
        times: dict[str, list[float]] = {t: [] for t in tools}
        outputs = {}
        for _ in range(args.repeat):
            for tool, fn in tools.items():
                seconds, out = timed(fn, folder, spec["tensor"])
                times[tool].append(seconds)
                if out is not None:
                    outputs[tool] = out
                del out
        ok = same_values(outputs["lossrules"], outputs["accumulator"]) if "accumulator" in outputs else None
        got = {t: len(o) for t, o in outputs.items()}
        outputs.clear()
        peak, frame_mb = peak_memory(folder)
        ours = statistics.median(times["lossrules"])
        for tool, values in times.items():
            med = statistics.median(values)
            rows.append((name, f"{size:.0f} MB", tool, med, points / med, med / ours, got.get(tool, "-")))
        print(f"{name}: values identical to protobuf decoding: {ok}; peak memory {peak:.0f} MB for a {frame_mb:.0f} MB frame ({peak / frame_mb:.2f}x)")
    print()
    print(f"{'file':8} {'size':>6} {'tool':12} {'median CPU s':>12} {'events/s':>12} {'x lossrules':>11} {'rows':>9}")
    for name, size, tool, med, rate, ratio, got in rows:
        print(f"{name:8} {size:>6} {tool:12} {med:12.2f} {rate:12,.0f} {ratio:11.1f} {got!s:>9}")
    imports, seconds = help_imports()
    print(f"\nlossrules --help: {seconds:.2f} s wall, imports pandas or scipy: {imports}")


if __name__ == "__main__":
    main()
