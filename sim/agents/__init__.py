"""The populations of the model: firms, centres, incubators, projects, hydrogen stations and budget lines."""
