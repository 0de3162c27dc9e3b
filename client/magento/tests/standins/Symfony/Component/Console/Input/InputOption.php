<?php
// Test stand-in: the constant of Symfony's class the glue uses.
namespace Symfony\Component\Console\Input;

class InputOption
{
    public const VALUE_REQUIRED = 2;
}
