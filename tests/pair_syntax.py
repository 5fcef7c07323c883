"""The documented syntax of the pair styles the registry renders, as regular expressions.

Sources (argument lists as documented):
- mliap unified: https://docs.lammps.org/pair_mliap.html ("pair_style mliap unified filename 0|1")
- mace: ACEsuit LAMMPS fork, https://mace-docs.readthedocs.io/en/latest/guide/lammps.html
  ("pair_style mace no_domain_decomposition"; "pair_coeff * * model-lammps.pt El1 El2 ...")
- grace, grace/fs: https://docs.lammps.org/pair_grace.html and gracemaker's docs
  ("pair_style grace [padding v] [pad_verbose] [pair_forces]"; "pair_style grace/fs [extrapolation]
  [chunksize N]"; "pair_coeff * * FS_model.yaml [FS_model.asi] El ...")
- deepmd: https://docs.deepmodeling.com/projects/deepmd/en/stable/third-party/lammps-command.html
  ("pair_style deepmd models... [out_freq N] [out_file F] ..."; "pair_coeff * * El1 El2 ...")
- e3gnn: SevenNet, https://github.com/MDIL-SNU/SevenNet (LAMMPS patched by 'sevenn patch_lammps'):
  ("pair_style e3gnn"; "pair_coeff * * deployed_serial.pt El1 El2 ...")
- dispersion/d3: https://docs.lammps.org/pair_dispersion_d3.html
  ("pair_style dispersion/d3 damping functional cutoff cn_cutoff", damping original|zerom|bj|bjm)
"""

import re

FILE = r"/\S+"
STYLE = {
    "mliap": re.compile(rf"mliap unified {FILE}\.pt [01]"),  # mace: *-mliap_lammps.pt, sevenn: *_mliap.pt
    "e3gnn": re.compile(r"e3gnn"),
    "mace": re.compile(r"mace no_domain_decomposition"),
    "grace/fs": re.compile(r"grace/fs( extrapolation)?( chunksize \d+)?"),
    "grace": re.compile(r"grace( padding [\d.]+)?( pad_verbose)?( pair_forces)?"),
    "deepmd": re.compile(rf"deepmd( {FILE})+( out_freq \d+)?( out_file \S+)?"),
    "dispersion/d3": re.compile(r"dispersion/d3 (original|zero|zerom|bj|bjm) [a-z0-9-]+ [\d.]+ [\d.]+"),
    "zero": re.compile(r"zero [\d.]+"),
    "lj/cut": re.compile(r"lj/cut [\d.]+"),
}
# pair_coeff after "* *": the files a style reads, then one element per atom type
COEFF_FILE = {"mace": r"-lammps\.pt", "e3gnn": r"deployed_serial\.pt$", "grace/fs": r"\.yaml", "grace": r"saved_model"}
