<?php
/**
 * bin/magento availability:notifications:send --stock=ID [--consumer=NAME]
 *   [--max=100] [--lease=300] [--max-runtime=S]
 * Claims the server's back-in-stock notification jobs and hands each
 * matching customer to Magento's own mailer (ProductAlert Publisher, which
 * queues the stock alert email per website); acknowledges a job only after
 * the hand-over succeeded, so a crash means a redelivery, never a lost
 * mail. Jobs whose alert no longer exists in Magento are acknowledged
 * without a mail. One process, no fork (see docs/magento.md).
 */

declare(strict_types=1);

namespace AvailabilityService\ProductAlert\Console\Command;

use Availability\Client\AvailabilityException;
use Availability\Client\Grpc\GrpcNotificationJobs;
use AvailabilityService\Core\Model\Config;
use AvailabilityService\ProductAlert\Model\SubscriberMatcher;
use Magento\ProductAlert\Model\Mailing\Publisher;
use Symfony\Component\Console\Command\Command;
use Symfony\Component\Console\Input\InputInterface;
use Symfony\Component\Console\Input\InputOption;
use Symfony\Component\Console\Output\OutputInterface;

class SendNotificationsCommand extends Command
{
    /** Magento's alert type of back-in-stock alerts (product_alert_stock). */
    private const ALERT_TYPE_STOCK = 'stock';

    public function __construct(
        private readonly Config $config,
        private readonly SubscriberMatcher $matcher,
        private readonly Publisher $publisher,
    ) {
        parent::__construct();
    }

    protected function configure(): void
    {
        $this->setName('availability:notifications:send')
            ->setDescription('Send the server\'s back-in-stock notifications through Magento\'s product alert mailer')
            ->addOption('stock', null, InputOption::VALUE_REQUIRED, 'Stock id (>= 1)')
            ->addOption('consumer', null, InputOption::VALUE_REQUIRED, 'Consumer name, [A-Za-z0-9_.-]', 'magento-mailer')
            ->addOption('max', null, InputOption::VALUE_REQUIRED, 'Jobs per claim, 1..1000', '100')
            ->addOption('lease', null, InputOption::VALUE_REQUIRED, 'Seconds a claim lasts without an ack', '300')
            ->addOption('max-runtime', null, InputOption::VALUE_REQUIRED, 'Stop after this many seconds (0: one pass)', '0');
        parent::configure();
    }

    protected function execute(InputInterface $input, OutputInterface $output): int
    {
        $stockId = (int) $input->getOption('stock');
        $token = $this->config->syncToken();
        if ($stockId < 1 || $token === '') {
            $output->writeln('<error>' . ($stockId < 1 ? '--stock: must be a stock id >= 1'
                : 'availability_service/general/sync_token: not set') . '</error>');
            return Command::INVALID;
        }
        $stop = microtime(true) + max(0.0, (float) $input->getOption('max-runtime'));
        try {
            $jobs = new GrpcNotificationJobs($this->config->syncClientConfig(), $token);
            do {
                $claimed = $jobs->claim($stockId, (string) $input->getOption('consumer'),
                    (int) $input->getOption('max'), (int) $input->getOption('lease'));
                $this->deliver($jobs, $stockId, $claimed, $output);
                if ($claimed === [] && microtime(true) < $stop) {
                    sleep(5);
                }
            } while (microtime(true) < $stop);
        } catch (AvailabilityException | \InvalidArgumentException $e) {
            $output->writeln('<error>' . $e->getMessage() . '</error>');
            return Command::FAILURE;
        }
        return Command::SUCCESS;
    }

    /** @param \Availability\Client\NotificationJob[] $claimed */
    private function deliver(GrpcNotificationJobs $jobs, int $stockId, array $claimed, OutputInterface $output): void
    {
        $byWebsite = [];
        $nothingToSend = [];
        foreach ($claimed as $job) {
            $match = $this->matcher->match($job);
            if ($match === null) {
                $nothingToSend[] = $job->id;
                continue;
            }
            $byWebsite[$match['website_id']]['customers'][$match['customer_id']] = true;
            $byWebsite[$match['website_id']]['jobs'][] = $job->id;
        }
        if ($nothingToSend !== []) {
            $jobs->ack($stockId, $nothingToSend);
        }
        foreach ($byWebsite as $websiteId => $group) {
            try {
                $this->publisher->execute(self::ALERT_TYPE_STOCK, array_keys($group['customers']), (int) $websiteId);
            } catch (\Exception $e) {
                // Not acknowledged: the jobs come back after their lease.
                $output->writeln("<error>website $websiteId: " . $e->getMessage() . '</error>');
                continue;
            }
            $jobs->ack($stockId, $group['jobs']);
            $output->writeln(sprintf('website %d: %d customers handed to the mailer', $websiteId, count($group['customers'])));
        }
    }
}
