// placeholder until the device branch lands
