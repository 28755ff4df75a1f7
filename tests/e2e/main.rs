// placeholder
mod layers;
