<?php
// Test stand-in: the part of Symfony Console's Command the glue uses.
namespace Symfony\Component\Console\Command;

use Symfony\Component\Console\Input\InputInterface;
use Symfony\Component\Console\Output\OutputInterface;

abstract class Command
{
    public const SUCCESS = 0;
    public const FAILURE = 1;
    public const INVALID = 2;
    private string $name = '';
    /** @var array<string, mixed> option => default */
    public array $options = [];

    public function __construct()
    {
        $this->configure();
    }

    protected function configure()
    {
    }

    public function setName(string $name): static
    {
        $this->name = $name;
        return $this;
    }

    public function getName(): string
    {
        return $this->name;
    }

    public function setDescription(string $description): static
    {
        return $this;
    }

    public function addOption(string $name, $shortcut = null, ?int $mode = null, string $description = '', $default = null): static
    {
        $this->options[$name] = $default;
        return $this;
    }

    public function run(InputInterface $input, OutputInterface $output): int
    {
        return $this->execute($input, $output);
    }

    abstract protected function execute(InputInterface $input, OutputInterface $output);
}
