<?php
// Test stand-in: the method of Symfony's interface the glue calls.
namespace Symfony\Component\Console\Output;

interface OutputInterface
{
    public function writeln($messages, int $options = 0);
}
