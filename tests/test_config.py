"""harness.toml: validated into typed objects; every mistake is one clear line and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import load_config, parse_config
from harness.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def test_default_config_is_valid_and_offline() -> None:
    cfg = load_config(REPO / "harness.toml")
    assert cfg.market.providers == ["qwen-coder-0.5b", "qwen-coder-1.5b"]
    for name in cfg.market.providers:
        m = cfg.model(name)
        assert m.provider == "local"  # no API key needed
        assert m.input_cost_per_mtok is not None and m.output_cost_per_mtok is not None
    cheap, dear = (cfg.model(n) for n in cfg.market.providers)
    assert dear.input_cost_per_mtok / cheap.input_cost_per_mtok == pytest.approx(3.0)
    assert cfg.store_path == REPO / ".harness" / "attempts.sqlite"
    assert cfg.run.domain == "swebench" and cfg.run.strategy == "robust"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("colour = 1\n", "unknown key 'colour'"),
        (
            "[models.a]\nroute = 'x'\nmax_tokens = 'many'\n",
            "key 'models.a.max_tokens': expected an integer (got 'many')",
        ),
        ("[models.a]\nmax_tokens = 5\n", "key 'models.a.route': expected a value (it is required)"),
        ("[models.a]\nroute = 'x'\ntemperatur = 0.5\n", "unknown key 'models.a.temperatur'"),
        ("[market]\npricing = 'free'\n", "key 'market.pricing': expected one of 'per_task' or 'per_solution'"),
        ("[market]\nproviders = ['ghost']\n", "market.providers names 'ghost', which is not a [models.ghost] table"),
        (
            "[models.a]\nroute = 'x'\ninput_cost_per_mtok = 1.0\n",
            "set both input_cost_per_mtok and output_cost_per_mtok",
        ),
        ("[models.a]\nroute = 'x'\ntimeout_s = -1\n", "key 'models.a.timeout_s': expected greater than 0"),
        ("[store]\npath = 3\n", "key 'store.path': expected a string (got 3)"),
        ("[domains.math]\nlimit = 'ten'\n", "key 'domains.math.limit': expected an integer"),
        ("models = 3\n", "key 'models': expected a table"),
        ("[run\n", "not valid TOML"),
    ],
)
def test_config_errors_are_one_line_naming_file_and_key(config_file, body: str, message: str) -> None:
    path = config_file(body)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert text.startswith(str(path)), text
    assert message in text
    assert "\n" not in text


def test_config_sections_parse_into_typed_objects(config_file) -> None:
    cfg = load_config(
        config_file("""
        [models."m.1"]
        route = "openai/fake"
        input_cost_per_mtok = 1
        output_cost_per_mtok = 2.5
        temperature = 0.2
        params = { stop = ["END"] }
        [market]
        providers = ["m.1"]
        pricing = "per_solution"
        [store]
        path = "sub/store.sqlite"
        [domains.math]
        source = "generator"
        limit = 7
        options = { difficulty = 2 }
        [run]
        domain = "math"
        budget_usd = 0.25
    """)
    )
    m = cfg.model("m.1")
    assert m.name == "m.1" and m.output_cost_per_mtok == 2.5 and m.params == {"stop": ["END"]}
    assert m.sampling == {
        "route": "openai/fake",
        "provider": "litellm",
        "temperature": 0.2,
        "max_tokens": 1024,
        "stop": ["END"],
    }
    assert cfg.market.pricing == "per_solution"
    assert cfg.store_path == Path(cfg.path).parent / "sub" / "store.sqlite"
    assert cfg.domain("math").as_options() == {"source": "generator", "limit": 7, "difficulty": 2}
    assert cfg.domain("unconfigured").as_options() == {}
    assert cfg.domain_options("math")["_root"] == str(Path(cfg.path).resolve().parent)
    with pytest.raises(ConfigError, match=r"unknown model 'nope'.*add \[models.nope\]"):
        cfg.model("nope")


def test_lookup_order(config_file, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = config_file("[run]\nseed = 5\n")
    monkeypatch.chdir(tmp_path)
    assert load_config().run.seed == 5  # ./harness.toml
    other = tmp_path / "other.toml"
    other.write_text("[run]\nseed = 6\n")
    monkeypatch.setenv("HARNESS_CONFIG", str(other))
    assert load_config().run.seed == 6  # $HARNESS_CONFIG wins over ./harness.toml
    assert load_config(path).run.seed == 5  # --config wins over both
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path / "missing.toml")


def test_no_config_file_means_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HARNESS_CONFIG", raising=False)
    cfg = load_config()
    assert cfg.models == {} and cfg.store_path == tmp_path / ".harness" / "attempts.sqlite"


def test_parse_rejects_path_key() -> None:
    with pytest.raises(ConfigError, match="unknown key 'path'"):
        parse_config({"path": "x"})


def test_cli_bad_config_exits_2_with_one_line(config_file, harness_cli) -> None:
    path = config_file("[models.a]\nroute = 'x'\nmax_tokens = 'many'\n")
    out = harness_cli("--config", str(path), "export", "--out", str(path.parent / "o"))
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "models.a.max_tokens" in lines[0] and str(path) in lines[0]
