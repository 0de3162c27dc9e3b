<?php

declare(strict_types=1);

namespace AvailabilityService\Bad\Observer;

class NotAnObserver
{
    public function run(): void
    {
    }
}
