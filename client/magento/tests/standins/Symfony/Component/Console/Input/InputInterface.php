<?php
// Test stand-in: the method of Symfony's interface the glue calls.
namespace Symfony\Component\Console\Input;

interface InputInterface
{
    public function getOption(string $name);
}
