# Shared helpers of the rules: waves, their raw inputs and the paths of stage outputs.
# Paths come from councilsurvey.config so that rules and hand-run scripts agree.
from councilsurvey import config as paths
from councilsurvey.figures import data_statement as _statement


WAVES = sorted(str(w) for w in config["waves"])


wildcard_constraints:
    wave="|".join(WAVES),
    notebook="|".join(paths.NOTEBOOKS),


def wave_input(key):
    """Input function: one raw input of a wave (export, codebook, frame, outside)."""

    def fn(wildcards):
        return paths.wave_inputs(config, wildcards.wave)[key]

    return fn


def frame_size(wildcards):
    return config["frames"][config["waves"][wildcards.wave]["frame_year"]]["n_councils"]


def is_synthetic(wildcards):
    return bool(config["waves"][wildcards.wave].get("synthetic", False))


def data_statement(wildcards):
    """The data statement printed on every figure and caption of a wave."""
    return _statement(is_synthetic(wildcards))


def out(key, wave="{wave}"):
    """Output path of a stage, with the wave wildcard left open by default."""
    return paths.stage_outputs(wave)[key]


def nb_out(name, key, wave="{wave}"):
    """A file an analysis notebook writes (figures as <key>_png / <key>_svg)."""
    return paths.notebook_files(wave, name)[key]


def nb_executed(name, ext="ipynb", wave="{wave}"):
    return paths.executed_notebook(wave, name, ext)


def nb_parameters(name):
    """Params function: the notebook's papermill parameters for a wave."""

    def fn(wildcards):
        return paths.notebook_parameters(config, wildcards.wave, name)

    return fn


def all_outputs():
    targets = []
    for wave in WAVES:
        targets += list(paths.stage_outputs(wave).values())
        for name in paths.NOTEBOOKS:
            targets += list(paths.notebook_files(wave, name).values())
            targets += [nb_executed(name, "html", wave)]
    return targets
