"""Fine-tuning on the glasses: frames, DFT inputs and labels, MACE and DeePMD training, model deviation."""
