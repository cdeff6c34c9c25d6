#!/bin/sh -e
echo script-ran "$0" "$1"
