"""Tiny real models for the LLM tests, built and saved in the test run (no download):
a native GLM (transformers' GlmForCausalLM) with a chat template, and a ChatGLM-style
remote-code folder loaded through AutoModel.from_pretrained(..., trust_remote_code=True)."""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path

CHAT_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant:{% endif %}"
)

CONFIGURATION = """
from transformers import GlmConfig


class ChatGLMConfig(GlmConfig):
    model_type = "chatglm"
"""

MODELING = '''
import torch
from transformers import GlmForCausalLM

from .configuration_chatglm import ChatGLMConfig


class ChatGLMForConditionalGeneration(GlmForCausalLM):
    """ChatGLM-6B's API on a tiny GLM: chat(tokenizer, query, history) and quantize(bits)."""

    config_class = ChatGLMConfig

    def build_prompt(self, query, history):
        prompt = ""
        for i, (old_query, response) in enumerate(history or []):
            prompt += f"[Round {i}]\\n问：{old_query}\\n答：{response}\\n"
        return prompt + f"[Round {len(history or [])}]\\n问：{query}\\n答："

    @torch.no_grad()
    def chat(self, tokenizer, query, history=None, max_length=48, **kwargs):
        history = list(history or [])
        inputs = tokenizer(self.build_prompt(query, history), return_tensors="pt")
        inputs.pop("token_type_ids", None)
        inputs = inputs.to(self.device)
        out = self.generate(**inputs, max_new_tokens=12, do_sample=False)
        response = tokenizer.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
        return response, history + [(query, response)]

    def quantize(self, bits):
        if bits == 8:
            linear = {torch.nn.Linear}
            return torch.ao.quantization.quantize_dynamic(self, linear, dtype=torch.qint8)
        # What ChatGLM's CPU int4 path raises when its kernel did not compile.
        raise RuntimeError("No compiled kernel found.")
'''


def tiny_config(tokenizer):
    from transformers import GlmConfig

    return dict(
        vocab_size=len(tokenizer),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=8,
        max_position_embeddings=256,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.sep_token_id,
    ), GlmConfig


def tokenizer_from(minilm_folder: str):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(minilm_folder)
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def build_tiny_glm(folder: Path, minilm_folder: str) -> Path:
    import torch
    from transformers import GlmForCausalLM

    torch.manual_seed(0)
    tokenizer = tokenizer_from(minilm_folder)
    params, GlmConfig = tiny_config(tokenizer)
    GlmForCausalLM(GlmConfig(**params)).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_tiny_chatglm(folder: Path, minilm_folder: str) -> Path:
    """A remote-code folder as THUDM/chatglm-6b is: auto_map to its own modeling file."""
    import torch

    torch.manual_seed(0)
    package = folder.parent / "chatglm_src" / "tiny_chatglm"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    (package / "configuration_chatglm.py").write_text(CONFIGURATION)
    (package / "modeling_chatglm.py").write_text(MODELING)
    sys.path.insert(0, str(package.parent))
    try:
        configuration = importlib.import_module("tiny_chatglm.configuration_chatglm")
        modeling = importlib.import_module("tiny_chatglm.modeling_chatglm")
        tokenizer = tokenizer_from(minilm_folder)
        params, _ = tiny_config(tokenizer)
        configuration.ChatGLMConfig.register_for_auto_class()
        modeling.ChatGLMForConditionalGeneration.register_for_auto_class("AutoModel")
        config = configuration.ChatGLMConfig(**params)
        modeling.ChatGLMForConditionalGeneration(config).save_pretrained(folder)
        tokenizer.save_pretrained(folder)
    finally:
        sys.path.remove(str(package.parent))
        for name in [m for m in sys.modules if m.startswith("tiny_chatglm")]:
            del sys.modules[name]
    shutil.rmtree(package.parent)
    return folder
