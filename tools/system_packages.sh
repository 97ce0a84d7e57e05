#!/bin/sh
# Install the Debian packages the lessons use, where they are missing and we may use apt-get (as root, or
# through sudo without a password):
#   dataset-fashion-mnist  when no copy of the data is found yet;
#   fonts-noto-cjk         when no Noto CJK font is installed (the Chinese edition draws its plots with it).
# Never fatal: helpers.data explains what to do if the data is still missing, and without the font the
# Chinese lessons draw their plots in English, after one message saying what to install.
set -u
want=""
if [ -z "${FASHION_MNIST_DIR:-}" ] && [ ! -f /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz ] \
   && [ ! -f data/FashionMNIST/raw/t10k-labels-idx1-ubyte ]; then
    want="dataset-fashion-mnist"
fi
if [ -z "$(find /usr/share/fonts /usr/local/share/fonts "${HOME:-/nonexistent}/.local/share/fonts" \
             "${HOME:-/nonexistent}/.fonts" -iname 'NotoSansCJK*' 2>/dev/null | head -n 1)" ]; then
    want="$want fonts-noto-cjk"
fi
[ -n "$want" ] || exit 0
command -v apt-get >/dev/null 2>&1 || {
    echo "note: no apt-get here to install$want; see README ('Where the data comes from', 'The Chinese edition')."
    exit 0
}
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "note: apt-get needs root to install$want; run 'sudo apt-get install$want'"
    exit 0
fi
for package in $want; do
    echo "Installing Debian's $package ..."
    $SUDO apt-get install -y -qq "$package" >/dev/null 2>&1 || {
        $SUDO apt-get update -qq >/dev/null 2>&1 && $SUDO apt-get install -y -qq "$package" >/dev/null 2>&1
    } || echo "note: apt-get could not install $package"
done
exit 0
