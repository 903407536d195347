"""Mass reach (群发助手): quota accounting and splitting audiences into WeCom-sized tasks."""
